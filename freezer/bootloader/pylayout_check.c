/*
 * Compiled (never run) against a real Python.h, once per CPython minor version, by
 * tests/test_pylayout.py:
 *
 *     cc -fsyntax-only -DFREEZER_PY_MINOR=N -I<include dir> freezer/bootloader/pylayout_check.c
 *
 * It compiles only if what pylayout.h recorded for that version, and what pyabi.h declares,
 * is what the real headers say: every offset and size (static assertions), every field's type,
 * every constant, and every prototype boot.c resolves (a redeclaration that differs from
 * CPython's is an error).
 */
#include <Python.h>

#define FREEZER_PYABI_CHECK 1
#include "pyabi.h"

#define SAME_TYPE(a, b) __builtin_types_compatible_p(__typeof__(a), b)
#define CHECK_AT(type, ctype, f)                                                              \
    _Static_assert(offsetof(type, f) == FZ_##type##_##f, #type "." #f " moved");              \
    _Static_assert(SAME_TYPE(((type *)0)->f, ctype), #type "." #f " is not " #ctype);
#define CHECK_CONFIG_INT(f) CHECK_AT(PyConfig, int, f)
#define CHECK_CONFIG_WSTR(f) CHECK_AT(PyConfig, wchar_t *, f)
#define CHECK_CONFIG_LIST(f) CHECK_AT(PyConfig, PyWideStringList, f)
#define CHECK_PRECONFIG_INT(f) CHECK_AT(PyPreConfig, int, f)
FZ_PyConfig_INT_FIELDS(CHECK_CONFIG_INT)
FZ_PyConfig_WSTR_FIELDS(CHECK_CONFIG_WSTR)
FZ_PyConfig_LIST_FIELDS(CHECK_CONFIG_LIST)
FZ_PyPreConfig_INT_FIELDS(CHECK_PRECONFIG_INT)

_Static_assert(_Alignof(PyConfig) == FZ_PyConfig_ALIGN, "PyConfig alignment changed");
_Static_assert(_Alignof(PyPreConfig) == FZ_PyPreConfig_ALIGN, "PyPreConfig alignment changed");
_Static_assert(sizeof(Py_ssize_t) == sizeof(ssize_t), "Py_ssize_t is not ssize_t");
_Static_assert(sizeof(((PyStatus *)0)->_type) == sizeof(int), "PyStatus._type is not int-sized");
#ifdef FZ_frozen_is_package
_Static_assert(SAME_TYPE(((struct _frozen *)0)->is_package, int), "_frozen.is_package type");
#endif
_Static_assert(SAME_TYPE(((struct _frozen *)0)->size, int), "_frozen.size is not int");

_Static_assert(PYTHON_API_VERSION == FZ_PYTHON_API_VERSION, "PYTHON_API_VERSION changed");
_Static_assert(PyBUF_READ == FZ_PyBUF_READ, "PyBUF_READ changed");
_Static_assert(METH_VARARGS == FZ_METH_VARARGS, "METH_VARARGS changed");
_Static_assert(METH_NOARGS == FZ_METH_NOARGS, "METH_NOARGS changed");
_Static_assert(METH_O == FZ_METH_O, "METH_O changed");
_Static_assert(PY_MINOR_VERSION == FREEZER_PY_MINOR, "headers of another minor version");

/* PyModuleDef_HEAD_INIT's reference count, which pyabi.h's own PyModuleDef_HEAD_INIT sets:
 * not a constant expression, so checked when built with FREEZER_PYLAYOUT_RUN and run (exit
 * status 0: recorded right). */
PyModuleDef_Base head = PyModuleDef_HEAD_INIT;
_Static_assert(sizeof head.ob_base.ob_refcnt == sizeof(Py_ssize_t), "ob_refcnt size");
#ifdef FREEZER_PYLAYOUT_RUN
int main(void)
{
    return Py_REFCNT(&head) == FZ_HEAD_INIT_REFCNT ? 0 : 1;
}
#endif
