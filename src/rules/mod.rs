//! Rules: pure functions from inspected facts to findings. One file per rule.
