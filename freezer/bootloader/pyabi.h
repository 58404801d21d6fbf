/*
 * The part of CPython's C API that boot.c uses, declared by freezer itself, so that a
 * bootloader builds without Python.h (a fresh machine, a toolchain from pip, another
 * architecture).  boot.c never links to libpython: every function below is only a prototype
 * for __typeof__, and is resolved with dlsym.  What differs between minor versions (PyConfig,
 * PyPreConfig, struct _frozen) comes from pylayout.h, generated from the real headers;
 * PyConfig and PyPreConfig are opaque buffers of the right size and alignment, written
 * through the recorded field offsets (FZ_CONFIG_INT & co).
 *
 * With FREEZER_PYABI_CHECK (pylayout_check.c, after the real Python.h) the types are
 * Python.h's own: the prototypes below then fail to compile if they differ from CPython's,
 * and the static assertions check the recorded layout against the real one.
 */
#ifndef FREEZER_PYABI_H
#define FREEZER_PYABI_H

#include <stddef.h>
#include <sys/types.h>
#include <wchar.h>

#include "pylayout.h"

#ifndef FREEZER_PYABI_CHECK
typedef ssize_t Py_ssize_t;
typedef struct _object PyObject; /* only ever handled through pointers */

typedef struct {
    int _type; /* an enum in CPython: OK 0, ERROR 1, EXIT 2 */
    const char *func;
    const char *err_msg;
    int exitcode;
} PyStatus;

typedef struct {
    Py_ssize_t length;
    wchar_t **items;
} PyWideStringList;

typedef struct {
    _Alignas(FZ_PyConfig_ALIGN) unsigned char opaque[FZ_PyConfig_SIZE];
} PyConfig;

typedef struct {
    _Alignas(FZ_PyPreConfig_ALIGN) unsigned char opaque[FZ_PyPreConfig_SIZE];
} PyPreConfig;

typedef PyObject *(*PyCFunction)(PyObject *, PyObject *);

typedef struct PyMethodDef {
    const char *ml_name;
    PyCFunction ml_meth;
    int ml_flags;
    const char *ml_doc;
} PyMethodDef;

typedef struct PyModuleDef_Base {
    struct {
        Py_ssize_t ob_refcnt;
        void *ob_type;
    } ob_base; /* PyObject_HEAD */
    PyObject *(*m_init)(void);
    Py_ssize_t m_index;
    PyObject *m_copy;
} PyModuleDef_Base;

typedef struct PyModuleDef {
    PyModuleDef_Base m_base;
    const char *m_name;
    const char *m_doc;
    Py_ssize_t m_size;
    PyMethodDef *m_methods;
    struct PyModuleDef_Slot *m_slots;
    int (*m_traverse)(PyObject *, int (*)(PyObject *, void *), void *);
    int (*m_clear)(PyObject *);
    void (*m_free)(void *);
} PyModuleDef;

struct _frozen {
    const char *name;
    const unsigned char *code;
    int size; /* before 3.11: negative for a package */
#ifdef FZ_frozen_is_package
    int is_package;
#endif
#ifdef FZ_frozen_get_code
    PyObject *(*get_code)(void);
#endif
};

#define PyModuleDef_HEAD_INIT {{FZ_HEAD_INIT_REFCNT, NULL}, NULL, 0, NULL}
#define PYTHON_API_VERSION FZ_PYTHON_API_VERSION
#define PyBUF_READ FZ_PyBUF_READ
#define METH_VARARGS FZ_METH_VARARGS
#define METH_NOARGS FZ_METH_NOARGS
#define METH_O FZ_METH_O
#endif /* !FREEZER_PYABI_CHECK */

/* A PyConfig or PyPreConfig field, by its recorded offset: an lvalue of the field's type. */
#define FZ_AT(type, ptr, off) (*(type *)(void *)((unsigned char *)(ptr) + (off)))
#define FZ_CONFIG_INT(c, f) FZ_AT(int, c, FZ_PyConfig_##f)
#define FZ_CONFIG_WSTR(c, f) FZ_AT(wchar_t *, c, FZ_PyConfig_##f)
#define FZ_CONFIG_LIST(c, f) FZ_AT(PyWideStringList, c, FZ_PyConfig_##f)
#define FZ_PRECONFIG_INT(c, f) FZ_AT(int, c, FZ_PyPreConfig_##f)

/* The declarations match the recorded layout (and, under FREEZER_PYABI_CHECK, so does
 * Python.h: then these are its types). */
#define FZ_ASSERT_AT(type, f) \
    _Static_assert(offsetof(type, f) == FZ_##type##_##f, #type "." #f " moved");
#define FZ_ASSERT_SIZE(type) \
    _Static_assert(sizeof(type) == FZ_##type##_SIZE, "sizeof(" #type ") changed");
FZ_ASSERT_SIZE(PyConfig)
FZ_ASSERT_SIZE(PyPreConfig)
FZ_ASSERT_SIZE(PyStatus)
FZ_ASSERT_AT(PyStatus, _type)
FZ_ASSERT_AT(PyStatus, func)
FZ_ASSERT_AT(PyStatus, err_msg)
FZ_ASSERT_AT(PyStatus, exitcode)
FZ_ASSERT_SIZE(PyWideStringList)
FZ_ASSERT_AT(PyWideStringList, length)
FZ_ASSERT_AT(PyWideStringList, items)
FZ_ASSERT_SIZE(PyMethodDef)
FZ_ASSERT_AT(PyMethodDef, ml_name)
FZ_ASSERT_AT(PyMethodDef, ml_meth)
FZ_ASSERT_AT(PyMethodDef, ml_flags)
FZ_ASSERT_AT(PyMethodDef, ml_doc)
FZ_ASSERT_SIZE(PyModuleDef_Base)
FZ_ASSERT_AT(PyModuleDef_Base, m_init)
FZ_ASSERT_AT(PyModuleDef_Base, m_index)
FZ_ASSERT_AT(PyModuleDef_Base, m_copy)
FZ_ASSERT_SIZE(PyModuleDef)
FZ_ASSERT_AT(PyModuleDef, m_base)
FZ_ASSERT_AT(PyModuleDef, m_name)
FZ_ASSERT_AT(PyModuleDef, m_doc)
FZ_ASSERT_AT(PyModuleDef, m_size)
FZ_ASSERT_AT(PyModuleDef, m_methods)
FZ_ASSERT_AT(PyModuleDef, m_slots)
FZ_ASSERT_AT(PyModuleDef, m_traverse)
FZ_ASSERT_AT(PyModuleDef, m_clear)
FZ_ASSERT_AT(PyModuleDef, m_free)
_Static_assert(sizeof(struct _frozen) == FZ_frozen_SIZE, "sizeof(struct _frozen) changed");
#define FZ_ASSERT_FROZEN(f) \
    _Static_assert(offsetof(struct _frozen, f) == FZ_frozen_##f, "_frozen." #f " moved");
FZ_frozen_FIELDS(FZ_ASSERT_FROZEN)

/* The functions boot.c resolves, with CPython's prototypes (the same in 3.9-3.13). */
typedef PyObject *(*Py_OpenCodeHookFunction)(PyObject *, void *);
void PyPreConfig_InitIsolatedConfig(PyPreConfig *config);
PyStatus Py_PreInitialize(const PyPreConfig *src_config);
int PyStatus_Exception(PyStatus err);
void Py_ExitStatusException(PyStatus err);
void PyConfig_InitIsolatedConfig(PyConfig *config);
PyStatus PyConfig_SetBytesArgv(PyConfig *config, Py_ssize_t argc, char *const *argv);
PyStatus PyConfig_SetArgv(PyConfig *config, Py_ssize_t argc, wchar_t *const *argv); /* Windows */
PyStatus PyConfig_SetBytesString(PyConfig *config, wchar_t **config_str, const char *str);
PyStatus PyConfig_SetString(PyConfig *config, wchar_t **config_str, const wchar_t *str);
PyStatus PyWideStringList_Append(PyWideStringList *list, const wchar_t *item);
void PyConfig_Clear(PyConfig *);
PyStatus Py_InitializeFromConfig(const PyConfig *config);
int Py_FinalizeEx(void);
int PyImport_AppendInittab(const char *name, PyObject *(*initfunc)(void));
PyObject *PyModule_Create2(PyModuleDef *, int apiver);
int PyUnicode_FSConverter(PyObject *, void *);
char *PyBytes_AsString(PyObject *);
void PyErr_SetString(PyObject *exception, const char *string);
void Py_IncRef(PyObject *);
void Py_DecRef(PyObject *);
PyObject *PyImport_ImportModule(const char *name);
PyObject *PyObject_GetAttrString(PyObject *, const char *);
PyObject *PyObject_CallObject(PyObject *callable, PyObject *args);
int PyObject_IsInstance(PyObject *object, PyObject *typeorclass);
PyObject *PyObject_Type(PyObject *o);
PyObject *PyException_GetTraceback(PyObject *);
int PyErr_GivenExceptionMatches(PyObject *, PyObject *);
void PyErr_Restore(PyObject *, PyObject *, PyObject *);
void PyErr_Print(void);
/* The plain (int-length) variants: no format boot.c passes has '#', so both agree. */
int PyArg_ParseTuple(PyObject *, const char *, ...);
PyObject *PyUnicode_DecodeFSDefault(const char *s);
int PyFile_SetOpenCodeHook(Py_OpenCodeHookFunction hook, void *userData);
int PyUnicode_Compare(PyObject *left, PyObject *right);
PyObject *PyObject_CallMethod(PyObject *obj, const char *name, const char *format, ...);
PyObject *PyMemoryView_FromMemory(char *mem, Py_ssize_t size, int flags);
PyObject *Py_BuildValue(const char *, ...);
PyObject *PyBytes_FromStringAndSize(const char *, Py_ssize_t);
PyObject *PyEval_EvalCode(PyObject *co, PyObject *globals, PyObject *locals);
/* Deprecated in 3.12 (for PyErr_GetRaisedException, 3.12+ only), kept in every version. */
void PyErr_Fetch(PyObject **, PyObject **, PyObject **);
void PyErr_NormalizeException(PyObject **, PyObject **, PyObject **);
int PyException_SetTraceback(PyObject *, PyObject *);

/* Data: dlsym gives the variable's address; the exceptions are PyObject *, None a struct. */
extern PyObject *PyExc_ImportError, *PyExc_TypeError, *PyExc_BaseException,
    *PyExc_KeyboardInterrupt, *PyExc_ValueError, *PyExc_OSError, *PyExc_KeyError,
    *PyExc_NotImplementedError;
extern PyObject _Py_NoneStruct;

#endif
