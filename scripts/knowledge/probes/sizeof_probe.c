/* sizeof probe: compile against one numpy header tree + this machine's Python.h.
 * Measures docs/struct-sizes.md#header-sizes and docs/numpy-abi.md#constants-per-release;
 * compiled as C (gcc) and as C++ (g++ -x c++) by scripts/knowledge/generate.py.
 * Prints name=value lines. No linking against numpy is needed (sizeof only). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
#include <stddef.h>
#include <numpy/arrayobject.h>
#include <numpy/arrayscalars.h>
#include <numpy/ufuncobject.h>

#define P(T) printf("%s=%zu\n", #T, sizeof(T))
#define O(T,F) printf("offsetof(%s,%s)=%zu\n", #T, #F, offsetof(T,F))

int main(void) {
    printf("NPY_ABI_VERSION=0x%08x\n", (unsigned)NPY_ABI_VERSION);
    printf("NPY_API_VERSION=0x%08x\n", (unsigned)NPY_API_VERSION);
#ifdef NPY_FEATURE_VERSION
    printf("NPY_FEATURE_VERSION=0x%08x\n", (unsigned)NPY_FEATURE_VERSION);
#endif
#ifdef NPY_FEATURE_VERSION_STRING
    printf("NPY_FEATURE_VERSION_STRING=%s\n", NPY_FEATURE_VERSION_STRING);
#endif
    printf("NPY_MAXDIMS=%d\n", (int)NPY_MAXDIMS);
#if NPY_ABI_VERSION < 0x02000000
    printf("NPY_MAXARGS=%d\n", (int)NPY_MAXARGS);
#endif
    P(PyObject);
    P(PyArrayObject_fields);
    P(PyArrayObject);
    P(PyArray_Descr);
#if NPY_ABI_VERSION >= 0x02000000
    P(_PyArray_LegacyDescr);
    P(PyArray_DescrProto);
#if NPY_FEATURE_VERSION < NPY_2_0_API_VERSION
    P(_PyArray_DescrNumPy2);
#endif
#endif
    P(PyArray_ArrayDescr);
    P(PyArray_ArrFuncs);
#if NPY_ABI_VERSION < 0x02000000
    P(PyArrayFlagsObject);
#endif
    P(PyArrayIterObject);
    P(PyArrayMultiIterObject);
    P(PyArrayNeighborhoodIterObject);
#if NPY_ABI_VERSION < 0x02000000
    P(PyArrayMapIterObject);
#endif
    P(PyArray_Chunk);
    P(PyArrayInterface);
    P(PyUFuncObject);
    P(PyScalarObject);
    P(PyBoolScalarObject);
    P(PyByteScalarObject);
    P(PyLongScalarObject);
    P(PyLongLongScalarObject);
    P(PyFloatScalarObject);
    P(PyDoubleScalarObject);
    P(PyLongDoubleScalarObject);
    P(PyCDoubleScalarObject);
    P(PyCLongDoubleScalarObject);
    P(PyHalfScalarObject);
    P(PyDatetimeScalarObject);
    P(PyTimedeltaScalarObject);
    P(PyVoidScalarObject);
    P(PyObjectScalarObject);
    O(PyArrayObject_fields, weakreflist);
    return 0;
}
