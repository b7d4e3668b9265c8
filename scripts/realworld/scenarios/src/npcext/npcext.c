/* A plain C extension using the NumPy C API (import_array). Built by the suite against
 * whatever NumPy is installed in the scenario's venv (--no-build-isolation). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <numpy/arrayobject.h>

static PyObject *total(PyObject *self, PyObject *args)
{
    PyObject *obj;
    if (!PyArg_ParseTuple(args, "O", &obj))
        return NULL;
    PyArrayObject *arr = (PyArrayObject *)PyArray_FROM_OTF(obj, NPY_DOUBLE, NPY_ARRAY_IN_ARRAY);
    if (arr == NULL)
        return NULL;
    double s = 0.0;
    npy_intp n = PyArray_SIZE(arr);
    double *d = (double *)PyArray_DATA(arr);
    for (npy_intp i = 0; i < n; i++)
        s += d[i];
    Py_DECREF(arr);
    return PyFloat_FromDouble(s);
}

static PyMethodDef methods[] = {
    {"total", total, METH_VARARGS, "Sum of an array as float64."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef moddef = {PyModuleDef_HEAD_INIT, "npcext", NULL, -1, methods};

PyMODINIT_FUNC PyInit_npcext(void)
{
    import_array();
    return PyModule_Create(&moddef);
}
