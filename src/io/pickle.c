/* Safe pickle VM. Nothing in the input can name code that runs: GLOBAL resolves only allow-listed
 * names to inert markers, and REDUCE / NEWOBJ / BUILD on those markers make data nodes. The stack,
 * mark stack and memo work as in CPython's _Unpickler (items above the last MARK are the "current
 * frame"), so every valid pickle of the allowed objects loads. */
#include "pickle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    Pickle *pk;
    const uint8_t *b;
    size_t len, pos, op_pos; /* op_pos: offset of the opcode being run, for messages */
    const char *label;
    char *err;
    size_t errlen;
    int32_t *stack;
    size_t sn, scap;
    size_t *marks; /* stack heights at each MARK */
    size_t mn, mcap;
    int32_t *memo; /* node index or -1 */
    size_t memo_cap, memo_count;
    int failed;
} Vm;

/* Nodes 0..3 are immutable singletons shared by every NONE / NEWFALSE / NEWTRUE / EMPTY_TUPLE. */
enum { N_NONE, N_FALSE, N_TRUE, N_EMPTY_TUPLE, N_FIXED };

static const char *const opnames[256] = {
    ['('] = "MARK", ['.'] = "STOP", ['0'] = "POP", ['1'] = "POP_MARK", ['2'] = "DUP", ['F'] = "FLOAT", ['I'] = "INT",
    ['J'] = "BININT", ['K'] = "BININT1", ['L'] = "LONG", ['M'] = "BININT2", ['N'] = "NONE", ['P'] = "PERSID",
    ['Q'] = "BINPERSID", ['R'] = "REDUCE", ['S'] = "STRING", ['T'] = "BINSTRING", ['U'] = "SHORT_BINSTRING",
    ['V'] = "UNICODE", ['X'] = "BINUNICODE", ['a'] = "APPEND", ['b'] = "BUILD", ['c'] = "GLOBAL", ['d'] = "DICT",
    ['}'] = "EMPTY_DICT", ['e'] = "APPENDS", ['g'] = "GET", ['h'] = "BINGET", ['i'] = "INST", ['j'] = "LONG_BINGET",
    ['l'] = "LIST", [']'] = "EMPTY_LIST", ['o'] = "OBJ", ['p'] = "PUT", ['q'] = "BINPUT", ['r'] = "LONG_BINPUT",
    ['s'] = "SETITEM", ['t'] = "TUPLE", [')'] = "EMPTY_TUPLE", ['u'] = "SETITEMS", ['G'] = "BINFLOAT",
    [0x80] = "PROTO", [0x81] = "NEWOBJ", [0x82] = "EXT1", [0x83] = "EXT2", [0x84] = "EXT4", [0x85] = "TUPLE1",
    [0x86] = "TUPLE2", [0x87] = "TUPLE3", [0x88] = "NEWTRUE", [0x89] = "NEWFALSE", [0x8a] = "LONG1", [0x8b] = "LONG4",
    ['B'] = "BINBYTES", ['C'] = "SHORT_BINBYTES", [0x8c] = "SHORT_BINUNICODE", [0x8d] = "BINUNICODE8",
    [0x8e] = "BINBYTES8", [0x8f] = "EMPTY_SET", [0x90] = "ADDITEMS", [0x91] = "FROZENSET", [0x92] = "NEWOBJ_EX",
    [0x93] = "STACK_GLOBAL", [0x94] = "MEMOIZE", [0x95] = "FRAME", [0x96] = "BYTEARRAY8", [0x97] = "NEXT_BUFFER",
    [0x98] = "READONLY_BUFFER",
};

static const struct {
    const char *name;
    PkGlobal g;
} allowed_globals[] = {
    {"numpy.core.multiarray._reconstruct", PG_RECONSTRUCT},
    {"numpy._core.multiarray._reconstruct", PG_RECONSTRUCT}, /* NumPy 2 */
    {"numpy.core.multiarray.scalar", PG_SCALAR},
    {"numpy._core.multiarray.scalar", PG_SCALAR},
    {"numpy.ndarray", PG_NDARRAY},
    {"numpy.dtype", PG_DTYPE},
    {"flwr.common.typing.Parameters", PG_PARAMETERS},
    {"collections.OrderedDict", PG_ORDEREDDICT},
    {"torch._utils._rebuild_tensor_v2", PG_REBUILD_TENSOR},
    {"torch.FloatStorage", PG_FLOAT_STORAGE},
    {"torch.LongStorage", PG_LONG_STORAGE},
    {"torch.DoubleStorage", PG_DOUBLE_STORAGE},
};

static int fail(Vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(Vm *vm, const char *fmt, ...) {
    if (vm->failed) return -1;
    vm->failed = 1;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(vm->err, vm->errlen, "%s: %s", vm->label, msg);
    return -1;
}

/* Names from the input go into messages: printable ASCII only, bounded length. */
static void clean_name(char *out, size_t outn, const uint8_t *p, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < outn; i++) out[k++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    if (k + 4 >= outn && n > k) out[k++] = '.', out[k++] = '.', out[k++] = '.';
    out[k] = 0;
}

/* Accounting of every allocation against mem_limit, so that no input can make the VM allocate
 * more than a fixed multiple of its size. */
static void *vm_grow(Vm *vm, void *p, size_t old_bytes, size_t new_bytes) {
    if (new_bytes > old_bytes) {
        size_t extra = new_bytes - old_bytes + (old_bytes ? 0 : 16); /* 16: malloc's own header */
        if (vm->pk->mem_used + extra > vm->pk->mem_limit) {
            fail(vm, "pickle needs more memory than its size can justify (corrupt or hostile; at byte %zu)", vm->op_pos);
            return NULL;
        }
        vm->pk->mem_used += extra;
    }
    void *q = realloc(p, new_bytes ? new_bytes : 1);
    if (!q) fail(vm, "out of memory reading pickle");
    return q;
}

static int is_container(int kind) {
    return kind == PK_TUPLE || kind == PK_LIST || kind == PK_DICT || kind == PK_DTYPE || kind == PK_NDARRAY ||
           kind == PK_SCALAR || kind == PK_PARAMS || kind == PK_PERSID || kind == PK_TENSOR;
}

static int32_t new_node(Vm *vm, int kind) {
    Pickle *pk = vm->pk;
    if (pk->n == pk->cap) {
        size_t nc = pk->cap < 64 ? 64 : (size_t)pk->cap + pk->cap / 2;
        if (nc > INT32_MAX) return fail(vm, "pickle has too many objects");
        PkNode *q = vm_grow(vm, pk->node, (size_t)pk->cap * sizeof(PkNode), nc * sizeof(PkNode));
        if (!q) return -1;
        pk->node = q;
        pk->cap = (int32_t)nc;
    }
    PkNode *x = &pk->node[pk->n];
    memset(x, 0, sizeof *x);
    x->kind = (uint8_t)kind;
    return pk->n++;
}

/* Adds a kid to container x and updates x's nesting depth. */
static int add_kid(Vm *vm, int32_t x, int32_t kid) {
    PkNode *p = &vm->pk->node[x];
    if (p->n == p->u.c.cap) {
        size_t nc = p->u.c.cap < 4 ? 4 : (size_t)p->u.c.cap * 2;
        if (nc > INT32_MAX) return fail(vm, "pickle container too large");
        int32_t *q = vm_grow(vm, p->u.c.kids, (size_t)p->u.c.cap * 4, nc * 4);
        if (!q) return -1;
        p = &vm->pk->node[x];
        p->u.c.kids = q;
        p->u.c.cap = (int32_t)nc;
    }
    p->u.c.kids[p->n++] = kid;
    /* Depth is tracked as containers are filled. A container changed through a memo reference
     * after being put into another one does not update its parents, so walkers still bound
     * their own recursion; this check catches deep nesting as it is built. */
    int d = vm->pk->node[kid].depth + 1;
    if (d > p->depth) p->depth = (uint8_t)(d > 255 ? 255 : d);
    if (p->depth > PK_MAX_DEPTH)
        return fail(vm, "pickle nests deeper than %d levels (at byte %zu)", PK_MAX_DEPTH, vm->op_pos);
    return 0;
}

/* Container of `kind` holding items[0..n). */
static int32_t make_container(Vm *vm, int kind, const int32_t *items, size_t n) {
    if (kind == PK_TUPLE && n == 0) return N_EMPTY_TUPLE;
    int32_t x = new_node(vm, kind);
    if (x < 0) return -1;
    if (n) {
        int32_t *k = vm_grow(vm, NULL, 0, n * 4);
        if (!k) return -1;
        vm->pk->node[x].u.c.kids = k;
        vm->pk->node[x].u.c.cap = (int32_t)n;
    }
    for (size_t i = 0; i < n; i++)
        if (add_kid(vm, x, items[i])) return -1;
    return x;
}

/* ---- stack ---- */
static size_t frame_base(const Vm *vm) { return vm->mn ? vm->marks[vm->mn - 1] : 0; }
static size_t frame_items(const Vm *vm) { return vm->sn - frame_base(vm); }

static int push(Vm *vm, int32_t x) {
    if (x < 0) return -1;
    if (vm->sn == vm->scap) {
        if (vm->sn >= PK_MAX_STACK) return fail(vm, "pickle stack exceeds %d items (at byte %zu)", PK_MAX_STACK, vm->op_pos);
        size_t nc = vm->scap < 64 ? 64 : vm->scap * 2;
        if (nc > PK_MAX_STACK) nc = PK_MAX_STACK;
        int32_t *q = vm_grow(vm, vm->stack, vm->scap * 4, nc * 4);
        if (!q) return -1;
        vm->stack = q;
        vm->scap = nc;
    }
    vm->stack[vm->sn++] = x;
    return 0;
}

static const char *opname(uint8_t op) { return opnames[op] ? opnames[op] : "unknown"; }

/* Pops n items of the current frame into out (in stack order). */
static int pop_n(Vm *vm, int32_t *out, size_t n) {
    if (frame_items(vm) < n)
        return fail(vm, "pickle stack underflow: %s needs %zu item%s (at byte %zu)", opname(vm->b[vm->op_pos]), n,
                    n == 1 ? "" : "s", vm->op_pos);
    vm->sn -= n;
    memcpy(out, vm->stack + vm->sn, n * sizeof *out);
    return 0;
}
static int32_t top(Vm *vm) {
    if (!frame_items(vm))
        return fail(vm, "pickle stack underflow: %s needs an item (at byte %zu)", opname(vm->b[vm->op_pos]), vm->op_pos);
    return vm->stack[vm->sn - 1];
}
/* Ends the current frame: items since the last MARK stay in vm->stack[*from .. vm->sn) until the
 * caller resets vm->sn = *from. */
static int pop_mark(Vm *vm, size_t *from) {
    if (!vm->mn) return fail(vm, "pickle %s without a MARK (at byte %zu)", opname(vm->b[vm->op_pos]), vm->op_pos);
    *from = vm->marks[--vm->mn];
    return 0;
}

/* ---- reading arguments ---- */
static int need(Vm *vm, uint64_t n, const char *what) {
    if (n > vm->len - vm->pos)
        return fail(vm, "pickle truncated: %s at byte %zu needs %llu bytes, %zu left", what, vm->op_pos,
                    (unsigned long long)n, vm->len - vm->pos);
    return 0;
}
static uint64_t rd_le(Vm *vm, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)vm->b[vm->pos + i] << (8 * i);
    vm->pos += n;
    return v;
}
/* One line of a text opcode (GLOBAL, PUT, GET): returns its start and length, skips the '\n'. */
static const uint8_t *rd_line(Vm *vm, size_t *n, const char *what) {
    const uint8_t *s = vm->b + vm->pos;
    const uint8_t *nl = memchr(s, '\n', vm->len - vm->pos);
    if (!nl) {
        fail(vm, "pickle truncated: %s at byte %zu has no end of line", what, vm->op_pos);
        return NULL;
    }
    *n = nl - s;
    vm->pos += *n + 1;
    return s;
}
static int rd_decimal_line(Vm *vm, uint64_t *v, const char *what) {
    size_t n;
    const uint8_t *s = rd_line(vm, &n, what);
    if (!s) return -1;
    if (n == 0 || n > 10) return fail(vm, "pickle %s at byte %zu: bad index", what, vm->op_pos);
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return fail(vm, "pickle %s at byte %zu: bad index", what, vm->op_pos);
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

/* ---- memo ---- */
static int memo_put(Vm *vm, uint64_t idx) {
    int32_t x = top(vm);
    if (x < 0) return -1;
    /* A pickler numbers memo entries 0, 1, 2 ... as it stores them, one opcode each, so an index
     * beyond the opcode's offset cannot come from one; refusing it keeps the memo proportional. */
    if (idx > vm->op_pos || idx >= INT32_MAX)
        return fail(vm, "pickle memo index %llu out of range (at byte %zu)", (unsigned long long)idx, vm->op_pos);
    if (idx >= vm->memo_cap) {
        size_t nc = vm->memo_cap < 64 ? 64 : vm->memo_cap * 2;
        if (nc < idx + 1) nc = idx + 1;
        if (nc > vm->len + 1 && idx + 1 <= vm->len + 1) nc = vm->len + 1;
        int32_t *q = vm_grow(vm, vm->memo, vm->memo_cap * 4, nc * 4);
        if (!q) return -1;
        for (size_t i = vm->memo_cap; i < nc; i++) q[i] = -1;
        vm->memo = q;
        vm->memo_cap = nc;
    }
    if (vm->memo[idx] < 0) vm->memo_count++;
    vm->memo[idx] = x;
    return 0;
}
static int memo_get(Vm *vm, uint64_t idx) {
    if (idx >= vm->memo_cap || vm->memo[idx] < 0)
        return fail(vm, "pickle memo GET of index %llu, which was never stored (at byte %zu)", (unsigned long long)idx,
                    vm->op_pos);
    return push(vm, vm->memo[idx]);
}

/* ---- strings and globals ---- */
static int32_t leaf_bytes(Vm *vm, int kind, uint64_t n, const char *what) {
    if (need(vm, n, what)) return -1;
    int32_t x = new_node(vm, kind);
    if (x < 0) return -1;
    vm->pk->node[x].u.s.p = vm->b + vm->pos;
    vm->pk->node[x].u.s.len = n;
    vm->pos += n;
    return x;
}

static int32_t make_global(Vm *vm, const uint8_t *mod, size_t ml, const uint8_t *name, size_t nl) {
    for (size_t i = 0; i < sizeof allowed_globals / sizeof *allowed_globals; i++) {
        const char *a = allowed_globals[i].name;
        size_t al = strlen(a);
        if (al == ml + 1 + nl && !memcmp(a, mod, ml) && a[ml] == '.' && !memcmp(a + ml + 1, name, nl)) {
            int32_t x = new_node(vm, PK_GLOBAL);
            if (x >= 0) vm->pk->node[x].sub = (uint16_t)allowed_globals[i].g;
            return x;
        }
    }
    char m[80], n[80];
    clean_name(m, sizeof m, mod, ml);
    clean_name(n, sizeof n, name, nl);
    return fail(vm, "pickle global '%s.%s' is not allowed (only NumPy arrays and flwr Parameters are read)", m, n);
}

static const char *global_name(PkGlobal g) {
    for (size_t i = 0; i < sizeof allowed_globals / sizeof *allowed_globals; i++)
        if (allowed_globals[i].g == g) return allowed_globals[i].name;
    return "?";
}

const char *pk_kind_name(const Pickle *pk, int32_t x) {
    static const char *const names[] = {"None", "bool", "int", "float", "bytes", "str", "tuple", "list", "dict",
                                        "global", "dtype", "ndarray", "NumPy scalar", "Parameters", "persistent id",
                                        "torch tensor"};
    const PkNode *p = &pk->node[x];
    if (p->kind == PK_GLOBAL) return global_name((PkGlobal)p->sub);
    if (p->kind == PK_DICT && p->sub) return "OrderedDict";
    return p->kind < sizeof names / sizeof *names ? names[p->kind] : "?";
}

static int is_kind(Vm *vm, int32_t x, int kind) { return vm->pk->node[x].kind == kind; }
static int is_global(Vm *vm, int32_t x, PkGlobal g) { return is_kind(vm, x, PK_GLOBAL) && vm->pk->node[x].sub == g; }

/* REDUCE callable(args) and NEWOBJ cls(*args): only constructors of inert data. */
static int32_t reduce(Vm *vm, int32_t fn, int32_t args, int newobj) {
    Pickle *pk = vm->pk;
    const char *op = newobj ? "NEWOBJ" : "REDUCE";
    if (!is_kind(vm, fn, PK_GLOBAL))
        return fail(vm, "pickle %s of a %s (not an allowed global) at byte %zu", op, pk_kind_name(pk, fn), vm->op_pos);
    if (!is_kind(vm, args, PK_TUPLE))
        return fail(vm, "pickle %s arguments are a %s, not a tuple (at byte %zu)", op, pk_kind_name(pk, args), vm->op_pos);
    int32_t na = pk->node[args].n;
    PkGlobal g = (PkGlobal)pk->node[fn].sub;
    int32_t x;
    if (!newobj && g == PG_RECONSTRUCT) {
        if (na != 3 || !is_global(vm, pk_kid(pk, args, 0), PG_NDARRAY))
            return fail(vm, "pickle _reconstruct of something other than numpy.ndarray (at byte %zu)", vm->op_pos);
        return new_node(vm, PK_NDARRAY);
    }
    if (!newobj && g == PG_DTYPE) {
        if (na < 1 || na > 3 || !is_kind(vm, pk_kid(pk, args, 0), PK_STR))
            return fail(vm, "pickle numpy.dtype with bad arguments (at byte %zu)", vm->op_pos);
        return make_container(vm, PK_DTYPE, &args, 1);
    }
    if (!newobj && g == PG_SCALAR) {
        if (na != 2 || !is_kind(vm, pk_kid(pk, args, 0), PK_DTYPE) || !is_kind(vm, pk_kid(pk, args, 1), PK_BYTES))
            return fail(vm, "pickle NumPy scalar with bad arguments (only numeric scalars are read; at byte %zu)",
                        vm->op_pos);
        return make_container(vm, PK_SCALAR, pk->node[args].u.c.kids, 2);
    }
    if (g == PG_ORDEREDDICT) {
        if (na != 0) return fail(vm, "pickle OrderedDict with arguments (at byte %zu)", vm->op_pos);
        if ((x = new_node(vm, PK_DICT)) >= 0) pk->node[x].sub = 1;
        return x;
    }
    if (newobj && g == PG_PARAMETERS) {
        if (na != 0) return fail(vm, "pickle flwr Parameters with constructor arguments (at byte %zu)", vm->op_pos);
        return new_node(vm, PK_PARAMS);
    }
    if (!newobj && g == PG_REBUILD_TENSOR) {
        if (na != 6 && na != 7) return fail(vm, "pickle _rebuild_tensor_v2 with %d arguments (at byte %zu)", na, vm->op_pos);
        return make_container(vm, PK_TENSOR, pk->node[args].u.c.kids, na);
    }
    return fail(vm, "pickle %s of '%s' is not allowed (at byte %zu)", op, global_name(g), vm->op_pos);
}

/* BUILD: sets the state of an object made by REDUCE / NEWOBJ (once). */
static int build(Vm *vm, int32_t obj, int32_t state) {
    Pickle *pk = vm->pk;
    PkNode *o = &pk->node[obj];
    int sk = pk->node[state].kind;
    if ((o->kind == PK_NDARRAY && o->n == 0 && sk == PK_TUPLE) || (o->kind == PK_DTYPE && o->n == 1 && sk == PK_TUPLE) ||
        (o->kind == PK_PARAMS && o->n == 0 && sk == PK_DICT))
        return add_kid(vm, obj, state);
    return fail(vm, "pickle BUILD of a %s with a %s state is not allowed (at byte %zu)", pk_kind_name(pk, obj),
                pk_kind_name(pk, state), vm->op_pos);
}

static int hashable(Vm *vm, int32_t k) {
    int kind = vm->pk->node[k].kind;
    return kind == PK_STR || kind == PK_BYTES || kind == PK_INT || kind == PK_BOOL || kind == PK_NONE ||
           kind == PK_FLOAT || kind == PK_TUPLE;
}

static int set_items(Vm *vm, int32_t d, const int32_t *kv, size_t n) {
    if (!is_kind(vm, d, PK_DICT))
        return fail(vm, "pickle SETITEM(S) on a %s (at byte %zu)", pk_kind_name(vm->pk, d), vm->op_pos);
    if (n % 2) return fail(vm, "pickle SETITEMS with an odd number of items (at byte %zu)", vm->op_pos);
    for (size_t i = 0; i < n; i++) {
        if (i % 2 == 0 && !hashable(vm, kv[i]))
            return fail(vm, "pickle dict key is a %s (unhashable; at byte %zu)", pk_kind_name(vm->pk, kv[i]), vm->op_pos);
        if (add_kid(vm, d, kv[i])) return -1;
    }
    return 0;
}

static int append_items(Vm *vm, int32_t l, const int32_t *v, size_t n) {
    if (!is_kind(vm, l, PK_LIST))
        return fail(vm, "pickle APPEND(S) to a %s (at byte %zu)", pk_kind_name(vm->pk, l), vm->op_pos);
    for (size_t i = 0; i < n; i++)
        if (add_kid(vm, l, v[i])) return -1;
    return 0;
}

static int step(Vm *vm, int *done) {
    uint8_t op = vm->b[vm->pos];
    vm->op_pos = vm->pos++;
    int32_t a[3];
    uint64_t v;
    size_t from = 0;
    switch (op) {
    case 0x80: /* PROTO */
        if (need(vm, 1, "PROTO")) return -1;
        v = rd_le(vm, 1);
        if (v > 5) return fail(vm, "unsupported pickle protocol %d", (int)v);
        return 0;
    case 0x95: /* FRAME: a length hint only */
        if (need(vm, 8, "FRAME")) return -1;
        v = rd_le(vm, 8);
        return need(vm, v, "FRAME");
    case '.': { /* STOP */
        int32_t x = top(vm);
        if (x < 0) return -1;
        vm->pk->root = x;
        *done = 1;
        return 0;
    }
    case '(':
        if (vm->mn >= PK_MAX_STACK) return fail(vm, "pickle has more than %d open MARKs", PK_MAX_STACK);
        if (vm->mn == vm->mcap) {
            size_t nc = vm->mcap < 16 ? 16 : vm->mcap * 2;
            size_t *q = vm_grow(vm, vm->marks, vm->mcap * sizeof *q, nc * sizeof *q);
            if (!q) return -1;
            vm->marks = q;
            vm->mcap = nc;
        }
        vm->marks[vm->mn++] = vm->sn;
        return 0;
    case '0': /* POP: like CPython, an empty frame pops its MARK */
        if (frame_items(vm)) vm->sn--;
        else if (vm->mn) vm->mn--;
        else return fail(vm, "pickle stack underflow: POP at byte %zu", vm->op_pos);
        return 0;
    case '1': /* POP_MARK */
        if (pop_mark(vm, &from)) return -1;
        vm->sn = from;
        return 0;
    case 'p':
        return rd_decimal_line(vm, &v, "PUT") || memo_put(vm, v);
    case 'q':
        return need(vm, 1, "BINPUT") || memo_put(vm, rd_le(vm, 1));
    case 'r':
        return need(vm, 4, "LONG_BINPUT") || memo_put(vm, rd_le(vm, 4));
    case 0x94:
        return memo_put(vm, vm->memo_count);
    case 'g':
        return rd_decimal_line(vm, &v, "GET") || memo_get(vm, v);
    case 'h':
        return need(vm, 1, "BINGET") || memo_get(vm, rd_le(vm, 1));
    case 'j':
        return need(vm, 4, "LONG_BINGET") || memo_get(vm, rd_le(vm, 4));
    case 'N': return push(vm, N_NONE);
    case 0x88: return push(vm, N_TRUE);
    case 0x89: return push(vm, N_FALSE);
    case 'J': case 'K': case 'M': case 0x8a: {
        int64_t iv;
        if (op == 'J') {
            if (need(vm, 4, "BININT")) return -1;
            iv = (int32_t)(uint32_t)rd_le(vm, 4);
        } else if (op == 'K') {
            if (need(vm, 1, "BININT1")) return -1;
            iv = (int64_t)rd_le(vm, 1);
        } else if (op == 'M') {
            if (need(vm, 2, "BININT2")) return -1;
            iv = (int64_t)rd_le(vm, 2);
        } else {
            if (need(vm, 1, "LONG1")) return -1;
            int n = (int)rd_le(vm, 1);
            if (n > 8) return fail(vm, "pickle integer wider than 64 bits (at byte %zu)", vm->op_pos);
            if (need(vm, n, "LONG1")) return -1;
            uint64_t u = rd_le(vm, n);
            if (n && n < 8 && (u >> (8 * n - 1)) & 1) u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
            iv = (int64_t)u;
        }
        int32_t x = new_node(vm, PK_INT);
        if (x < 0) return -1;
        vm->pk->node[x].u.i = iv;
        return push(vm, x);
    }
    case 'G': { /* BINFLOAT: big-endian IEEE double */
        if (need(vm, 8, "BINFLOAT")) return -1;
        uint64_t u = 0;
        for (int i = 0; i < 8; i++) u = u << 8 | vm->b[vm->pos + i];
        vm->pos += 8;
        int32_t x = new_node(vm, PK_FLOAT);
        if (x < 0) return -1;
        memcpy(&vm->pk->node[x].u.f, &u, 8);
        return push(vm, x);
    }
    case 'C': return need(vm, 1, "SHORT_BINBYTES") ? -1 : push(vm, leaf_bytes(vm, PK_BYTES, rd_le(vm, 1), "SHORT_BINBYTES"));
    case 'B': return need(vm, 4, "BINBYTES") ? -1 : push(vm, leaf_bytes(vm, PK_BYTES, rd_le(vm, 4), "BINBYTES"));
    case 0x8e: return need(vm, 8, "BINBYTES8") ? -1 : push(vm, leaf_bytes(vm, PK_BYTES, rd_le(vm, 8), "BINBYTES8"));
    case 0x8c:
        return need(vm, 1, "SHORT_BINUNICODE") ? -1 : push(vm, leaf_bytes(vm, PK_STR, rd_le(vm, 1), "SHORT_BINUNICODE"));
    case 'X': return need(vm, 4, "BINUNICODE") ? -1 : push(vm, leaf_bytes(vm, PK_STR, rd_le(vm, 4), "BINUNICODE"));
    case 0x8d: return need(vm, 8, "BINUNICODE8") ? -1 : push(vm, leaf_bytes(vm, PK_STR, rd_le(vm, 8), "BINUNICODE8"));
    case ')': return push(vm, N_EMPTY_TUPLE);
    case 0x85: case 0x86: case 0x87: {
        size_t n = op - 0x84;
        if (pop_n(vm, a, n)) return -1;
        return push(vm, make_container(vm, PK_TUPLE, a, n));
    }
    case 't': case 'l': case 'd': { /* TUPLE, LIST, DICT from the items since the last MARK */
        if (pop_mark(vm, &from)) return -1;
        size_t n = vm->sn - from;
        int32_t x;
        if (op == 'd') {
            if ((x = new_node(vm, PK_DICT)) < 0 || set_items(vm, x, vm->stack + from, n)) return -1;
        } else
            x = make_container(vm, op == 't' ? PK_TUPLE : PK_LIST, vm->stack + from, n);
        vm->sn = from;
        return push(vm, x);
    }
    case ']': return push(vm, new_node(vm, PK_LIST));
    case '}': return push(vm, new_node(vm, PK_DICT));
    case 'a': {
        if (pop_n(vm, a, 1)) return -1;
        int32_t l = top(vm);
        return l < 0 ? -1 : append_items(vm, l, a, 1);
    }
    case 'e': {
        if (pop_mark(vm, &from)) return -1;
        size_t n = vm->sn - from;
        vm->sn = from; /* the items stay readable above sn while they are added */
        int32_t l = top(vm);
        return l < 0 ? -1 : append_items(vm, l, vm->stack + from, n);
    }
    case 's': {
        if (pop_n(vm, a, 2)) return -1;
        int32_t d = top(vm);
        return d < 0 ? -1 : set_items(vm, d, a, 2);
    }
    case 'u': {
        if (pop_mark(vm, &from)) return -1;
        size_t n = vm->sn - from;
        vm->sn = from;
        int32_t d = top(vm);
        return d < 0 ? -1 : set_items(vm, d, vm->stack + from, n);
    }
    case 'c': {
        size_t ml, nl;
        const uint8_t *m = rd_line(vm, &ml, "GLOBAL"), *n = m ? rd_line(vm, &nl, "GLOBAL") : NULL;
        return n ? push(vm, make_global(vm, m, ml, n, nl)) : -1;
    }
    case 0x93: { /* STACK_GLOBAL: module, name */
        if (pop_n(vm, a, 2)) return -1;
        if (!is_kind(vm, a[0], PK_STR) || !is_kind(vm, a[1], PK_STR))
            return fail(vm, "pickle STACK_GLOBAL of non-strings (at byte %zu)", vm->op_pos);
        const PkNode *m = &vm->pk->node[a[0]], *n = &vm->pk->node[a[1]];
        return push(vm, make_global(vm, m->u.s.p, m->u.s.len, n->u.s.p, n->u.s.len));
    }
    case 'R': case 0x81:
        if (pop_n(vm, a, 2)) return -1;
        return push(vm, reduce(vm, a[0], a[1], op == 0x81));
    case 'b': {
        if (pop_n(vm, a, 1)) return -1;
        int32_t o = top(vm);
        return o < 0 ? -1 : build(vm, o, a[0]);
    }
    case 'Q':
        if (pop_n(vm, a, 1)) return -1;
        return push(vm, make_container(vm, PK_PERSID, a, 1));
    default:
        if (opnames[op])
            return fail(vm, "pickle opcode %s (0x%02x) at byte %zu is not allowed (only NumPy arrays and flwr Parameters "
                            "are read)", opnames[op], op, vm->op_pos);
        return fail(vm, "pickle has an unknown opcode 0x%02x at byte %zu (corrupt?)", op, vm->op_pos);
    }
}

int pickle_load(Pickle *pk, const uint8_t *buf, size_t len, const char *label, char *err, size_t errlen) {
    memset(pk, 0, sizeof *pk);
    pk->root = -1;
    pk->mem_limit = (len > SIZE_MAX / PK_BYTES_PER_INPUT_BYTE / 2 ? SIZE_MAX / 2 : len * PK_BYTES_PER_INPUT_BYTE) + 65536;
    Vm vm = {.pk = pk, .b = buf, .len = len, .label = label, .err = err, .errlen = errlen};
    static const uint8_t fixed[N_FIXED] = {PK_NONE, PK_BOOL, PK_BOOL, PK_TUPLE};
    for (int i = 0; i < N_FIXED; i++) new_node(&vm, fixed[i]);
    /* Never NULL, so that "stack + frame base" is defined even before the first push (fuzzer find: "(t."). */
    vm.stack = vm_grow(&vm, NULL, 0, 64 * sizeof *vm.stack);
    vm.scap = 64;
    pk->node[N_TRUE].u.i = 1;
    int done = 0;
    while (!vm.failed && !done) {
        if (vm.pos >= len) {
            fail(&vm, "pickle truncated: no STOP opcode (%zu bytes)", len);
            break;
        }
        step(&vm, &done);
    }
    free(vm.stack);
    free(vm.marks);
    free(vm.memo);
    if (vm.failed) {
        pickle_free(pk);
        return -1;
    }
    return 0;
}

void pickle_free(Pickle *pk) {
    for (int32_t i = 0; i < pk->n; i++)
        if (is_container(pk->node[i].kind)) free(pk->node[i].u.c.kids);
    free(pk->node);
    memset(pk, 0, sizeof *pk);
    pk->root = -1;
}

int pk_str_is(const Pickle *pk, int32_t x, const char *s) {
    const PkNode *p = &pk->node[x];
    size_t n = strlen(s);
    return p->kind == PK_STR && p->u.s.len == n && !memcmp(p->u.s.p, s, n);
}

int32_t pk_dict_get(const Pickle *pk, int32_t d, const char *key) {
    const PkNode *p = &pk->node[d];
    int32_t v = -1;
    if (p->kind != PK_DICT) return -1;
    for (int32_t i = 0; i + 1 < p->n; i += 2) /* the last one wins, as in a Python dict */
        if (pk_str_is(pk, p->u.c.kids[i], key)) v = p->u.c.kids[i + 1];
    return v;
}
