//! The report model (it is the JSON schema, versioned) and its pure renderers.
