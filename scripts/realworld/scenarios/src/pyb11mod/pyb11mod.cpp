// A pybind11 module that uses pybind11's numpy.h (array_t, dtype().itemsize()).
// pybind11 <= 2.11 hard-codes NumPy 1.x struct layouts: on NumPy 2 it imports, then misbehaves.
#include <pybind11/pybind11.h>
#include <pybind11/numpy.h>
namespace py = pybind11;

static py::array_t<double> ramp(py::ssize_t n)
{
    py::array_t<double> a(n);
    auto m = a.mutable_unchecked<1>();
    for (py::ssize_t i = 0; i < n; i++)
        m(i) = static_cast<double>(i);
    return a;
}

static py::ssize_t itemsize(py::array a) { return a.dtype().itemsize(); }

PYBIND11_MODULE(pyb11mod, m)
{
    m.def("ramp", &ramp);
    m.def("itemsize", &itemsize);
}
