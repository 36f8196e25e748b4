/* corpus_dedupe._speedups: the few loops of corpus-dedupe that are plain arithmetic on bytes or
   characters, compiled: the fingerprints of a batch of match keys (below), the sketch agreements
   of candidate pairs, the space runs of match keys, the first look at each verification pair, a
   stable radix sort of bucket columns, the needle prechecks of the boilerplate rules, the
   character traits of texts that are not ASCII and the stretches of the mojibake test.
   Optional: where it was not built (no C compiler), the same results come from numpy and Python
   (corpus_dedupe.compiled says which is in use); the tests compare each loop with the code it
   replaces, bit for bit.

   The per-key loop of corpus_dedupe.fingerprint.fingerprint:

   fingerprint.py computes a batch's fingerprints with numpy: a dozen passes over arrays as large
   as the batch's bytes, and 128 multiply-add-min passes over its shingles. That is the reference
   (and the fallback where this module was not built); this module computes the same numbers key
   by key in one pass, with the permutations of one shingle in the processor's vector registers.
   tests/test_fingerprint.py compares the two on generated keys, bit for bit.

   Per key (a span of ``data``; words are runs of bytes that are neither space nor line feed):
     key_hash  fmix64 of the polynomial hash sum(data[start + u] * R_INV^u) (modulo 2^64)
     n_words   the number of words
     word hash the top 32 bits of fmix64 of the word's polynomial hash
     shingles  k consecutive word hashes h0..hk-1 combined as ((h0 * M + h1) * M + ...) mod 2^32,
               for keys of at least max(min_words, k) words
     signature per permutation p: min over the key's shingles of a[p] * fmix32(shingle) + b[p]
               (mod 2^32); its lowest 8 bits are the sketch
     bands     per band: fmix64(sum(sig[band * rows + r] * mix[r]) + (band + 1) * GOLDEN) | 1
     affixes   for keys of at least affix_words words, the first and the last affix_words word
               hashes folded as h = h * R + word hash from h = column + 1, then fmix64(h) | 1
   Buffers (and row indexes) are checked before anything is written; the GIL is released while
   the work runs, so threads share the cores. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define R_MULT 0x100000001B3ULL
#define SHINGLE_MULT 0x9E3779B1U
#define GOLDEN 0x9E3779B97F4A7C15ULL

static inline uint64_t fmix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint32_t fmix32(uint32_t h) {
    h ^= h >> 16;
    h *= 0x85EBCA6BU;
    h ^= h >> 13;
    h *= 0xC2B2AE35U;
    h ^= h >> 16;
    return h;
}

/* sig[p] = min(sig[p], a[p] * x + b[p]) for every permutation: the loop the compiler vectorises.
   On x86-64 with GCC versions for AVX-512 and AVX2 are built beside the baseline one and the
   best the processor has is picked at load time. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void permute_min(uint32_t *restrict sig, const uint32_t *restrict a, const uint32_t *restrict b, Py_ssize_t num_perm, uint32_t x) {
    for (Py_ssize_t p = 0; p < num_perm; p++) {
        uint32_t v = a[p] * x + b[p];
        sig[p] = v < sig[p] ? v : sig[p];
    }
}

typedef struct {
    const uint8_t *data;
    Py_ssize_t data_len;
    const int64_t *key_start, *key_end;
    Py_ssize_t n;
    const uint32_t *a, *b;
    const uint64_t *mix;
    uint64_t r_inv;
    Py_ssize_t num_perm, bands, k, min_words, affix_words;
    uint64_t *key_hash;
    int32_t *n_words;
    uint64_t *buckets;
    Py_ssize_t row_step, col_step;  /* buckets row by row (columns, 1) or column by column (1, n) */
    uint8_t *sketch;
    uint32_t *words;  /* scratch: one key's word hashes */
    uint32_t *sig;    /* scratch: one key's signature */
} batch_t;

static void run_batch(batch_t *s) {
    const Py_ssize_t rows = s->num_perm / s->bands;
    const Py_ssize_t need = s->min_words > s->k ? s->min_words : s->k;
    for (Py_ssize_t i = 0; i < s->n; i++) {
        const Py_ssize_t start = (Py_ssize_t)s->key_start[i], end = (Py_ssize_t)s->key_end[i];
        uint64_t *bucket = s->buckets + i * s->row_step;  /* column c of row i: bucket[c * col_step] */
        /* One pass: the key's hash and its current word's hash are two independent chains of
           multiplications, which the processor runs side by side. */
        uint64_t key_h = 0, key_power = 1, word_h = 0, word_power = 1;
        int in_word = 0;
        Py_ssize_t nw = 0;
        for (Py_ssize_t t = start; t < end; t++) {
            const uint64_t c = s->data[t];
            key_h += c * key_power;
            key_power *= s->r_inv;
            if (c == ' ' || c == '\n') {
                if (in_word) {
                    s->words[nw++] = (uint32_t)(fmix64(word_h) >> 32);
                    in_word = 0;
                }
            } else {
                if (!in_word) {
                    in_word = 1;
                    word_h = 0;
                    word_power = 1;
                }
                word_h += c * word_power;
                word_power *= s->r_inv;
            }
        }
        if (in_word) s->words[nw++] = (uint32_t)(fmix64(word_h) >> 32);
        s->key_hash[i] = fmix64(key_h);
        s->n_words[i] = (int32_t)nw;
        if (nw >= need && nw >= s->k) {
            for (Py_ssize_t p = 0; p < s->num_perm; p++) s->sig[p] = UINT32_MAX;
            for (Py_ssize_t j = 0; j + s->k <= nw; j++) {
                uint32_t shingle = s->words[j];
                for (Py_ssize_t u = 1; u < s->k; u++) shingle = shingle * SHINGLE_MULT + s->words[j + u];
                permute_min(s->sig, s->a, s->b, s->num_perm, fmix32(shingle));
            }
            for (Py_ssize_t band = 0; band < s->bands; band++) {
                uint64_t acc = 0;
                for (Py_ssize_t r = 0; r < rows; r++) acc += (uint64_t)s->sig[band * rows + r] * s->mix[r];
                acc += (uint64_t)(band + 1) * GOLDEN;
                bucket[band * s->col_step] = fmix64(acc) | 1;
            }
            uint8_t *sketch = s->sketch + i * s->num_perm;
            for (Py_ssize_t p = 0; p < s->num_perm; p++) sketch[p] = (uint8_t)(s->sig[p] & 0xFF);
        }
        if (nw >= s->affix_words) {
            for (int side = 0; side < 2; side++) {
                Py_ssize_t col = s->bands + side, pos = side ? nw - s->affix_words : 0;
                uint64_t h = (uint64_t)(col + 1);
                for (Py_ssize_t j = 0; j < s->affix_words; j++) h = h * R_MULT + (uint64_t)s->words[pos + j];
                bucket[col * s->col_step] = fmix64(h) | 1;
            }
        }
    }
}

static int check(Py_buffer *view, Py_ssize_t items, Py_ssize_t itemsize, const char *name) {
    if (view->len != items * itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd bytes, got %zd", name, items * itemsize, view->len);
        return 0;
    }
    return 1;
}

static PyObject *batch(PyObject *self, PyObject *args) {
    Py_buffer data, key_start, key_end, a, b, mix, key_hash, n_words, buckets, sketch;
    unsigned long long r_inv;
    Py_ssize_t num_perm, bands, k, min_words, affix_words;
    int column_major;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*Knnnnnw*w*w*w*p", &data, &key_start, &key_end, &a, &b, &mix, &r_inv,
                          &num_perm, &bands, &k, &min_words, &affix_words, &key_hash, &n_words, &buckets, &sketch, &column_major))
        return NULL;
    PyObject *result = NULL;
    batch_t s;
    s.words = NULL;
    s.sig = NULL;
    Py_ssize_t n = key_start.len / (Py_ssize_t)sizeof(int64_t);
    if (num_perm < 1 || bands < 1 || num_perm % bands != 0 || k < 1 || min_words < 0 || affix_words < 0) {
        PyErr_SetString(PyExc_ValueError, "bad fingerprint parameters");
        goto done;
    }
    if (!check(&key_start, n, sizeof(int64_t), "key_start") || !check(&key_end, n, sizeof(int64_t), "key_end") ||
        !check(&a, num_perm, sizeof(uint32_t), "a") || !check(&b, num_perm, sizeof(uint32_t), "b") ||
        !check(&mix, num_perm / bands, sizeof(uint64_t), "mix") || !check(&key_hash, n, sizeof(uint64_t), "key_hash") ||
        !check(&n_words, n, sizeof(int32_t), "n_words") || !check(&buckets, n * (bands + 2), sizeof(uint64_t), "buckets") ||
        !check(&sketch, n * num_perm, 1, "sketch"))
        goto done;
    const int64_t *starts = key_start.buf, *ends = key_end.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (starts[i] < 0 || ends[i] < starts[i] || ends[i] > data.len) {
            PyErr_Format(PyExc_ValueError, "key %zd: span outside the data", i);
            goto done;
        }
    }
    s.words = malloc(sizeof(uint32_t) * (size_t)(data.len / 2 + 1));
    s.sig = malloc(sizeof(uint32_t) * (size_t)num_perm);
    if (!s.words || !s.sig) {
        PyErr_NoMemory();
        goto done;
    }
    s.data = data.buf;
    s.data_len = data.len;
    s.key_start = starts;
    s.key_end = ends;
    s.n = n;
    s.a = a.buf;
    s.b = b.buf;
    s.mix = mix.buf;
    s.r_inv = (uint64_t)r_inv;
    s.num_perm = num_perm;
    s.bands = bands;
    s.k = k;
    s.min_words = min_words;
    s.affix_words = affix_words;
    s.key_hash = key_hash.buf;
    s.n_words = n_words.buf;
    s.buckets = buckets.buf;
    s.row_step = column_major ? 1 : bands + 2;
    s.col_step = column_major ? n : 1;
    s.sketch = sketch.buf;
    Py_BEGIN_ALLOW_THREADS
    run_batch(&s);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    free(s.words);
    free(s.sig);
    PyBuffer_Release(&data);
    PyBuffer_Release(&key_start);
    PyBuffer_Release(&key_end);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    PyBuffer_Release(&mix);
    PyBuffer_Release(&key_hash);
    PyBuffer_Release(&n_words);
    PyBuffer_Release(&buckets);
    PyBuffer_Release(&sketch);
    return result;
}

/* The number of equal bytes of two sketch rows (the sketches' agreement count, as
   fingerprint.estimated_jaccard counts it), for every pair (i[k], j[k]). */
#define PREFETCH_AHEAD 16
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(address) __builtin_prefetch(address)
#else
#define PREFETCH(address) ((void)(address))
#endif
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void count_agreements(const uint8_t *sketch, Py_ssize_t width, const int64_t *i, const int64_t *j, int64_t *out, Py_ssize_t m) {
    for (Py_ssize_t k = 0; k < m; k++) {
        if (k + PREFETCH_AHEAD < m) {
            /* The rows of a pair are anywhere in a sketch of 100+ MB: asking for those of the
               pair 16 further on while this one is counted hides most of the memory latency
               (three million random pairs of 128-byte rows of a million: 0.58 -> 0.14 s; 8
               ahead is as good, 32 worse). */
            const uint8_t *ahead_x = sketch + i[k + PREFETCH_AHEAD] * width, *ahead_y = sketch + j[k + PREFETCH_AHEAD] * width;
            for (Py_ssize_t p = 0; p < width; p += 64) {
                PREFETCH(ahead_x + p);
                PREFETCH(ahead_y + p);
            }
        }
        const uint8_t *x = sketch + i[k] * width, *y = sketch + j[k] * width;
        int64_t count = 0;
        for (Py_ssize_t p = 0; p < width; p++) count += x[p] == y[p];
        out[k] = count;
    }
}

static PyObject *agreements(PyObject *self, PyObject *args) {
    Py_buffer sketch, i, j, out;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "y*ny*y*w*", &sketch, &width, &i, &j, &out)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t m = i.len / (Py_ssize_t)sizeof(int64_t), rows = width > 0 ? sketch.len / width : 0;
    if (width < 1 || sketch.len != rows * width) {
        PyErr_SetString(PyExc_ValueError, "sketch: not a whole number of rows of that width");
        goto done;
    }
    if (!check(&i, m, sizeof(int64_t), "i") || !check(&j, m, sizeof(int64_t), "j") || !check(&out, m, sizeof(int64_t), "out")) goto done;
    const int64_t *is = i.buf, *js = j.buf;
    for (Py_ssize_t k = 0; k < m; k++) {
        if (is[k] < 0 || is[k] >= rows || js[k] < 0 || js[k] >= rows) {
            PyErr_Format(PyExc_IndexError, "pair %zd: row outside the sketch", k);
            goto done;
        }
    }
    Py_BEGIN_ALLOW_THREADS
    count_agreements(sketch.buf, width, is, js, out.buf, m);
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&sketch);
    PyBuffer_Release(&i);
    PyBuffer_Release(&j);
    PyBuffer_Release(&out);
    return result;
}

/* The match keys of ASCII text (normalise.match_key's fast path), in one pass: a "." or "," between
   two digits dropped ("1,450" -> "1450"), every byte mapped by ``table`` (letters lower-cased,
   digits kept, the rest a space; a line feed kept when the table keeps it, to fold a batch of
   texts, one a line), then each line's space runs made one space and its ends stripped. The
   three steps in Python (a translation to find the digit groups, one by the table, split and
   join) took 2.2 µs for a 400-character paragraph; written without a branch on the kind of
   byte (spaces and letters alternate too irregularly to be predicted), this takes 1.0 µs. */
static PyObject *ascii_keys(PyObject *self, PyObject *args) {
    Py_buffer in, table;
    if (!PyArg_ParseTuple(args, "y*y*", &in, &table)) return NULL;
    if (table.len != 256) {
        PyBuffer_Release(&in);
        PyBuffer_Release(&table);
        PyErr_SetString(PyExc_ValueError, "table must hold 256 bytes");
        return NULL;
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, in.len);
    if (result == NULL) {
        PyBuffer_Release(&in);
        PyBuffer_Release(&table);
        return NULL;
    }
    const uint8_t *src = in.buf, *map = table.buf;
    const Py_ssize_t len = in.len;
    uint8_t *dst = (uint8_t *)PyBytes_AS_STRING(result);
    Py_ssize_t n = 0;
    uint8_t last = '\n'; /* the last byte written; a line feed at the start: no space before the first word */
    int space = 0;        /* the byte before was a space (after the table) */
    for (Py_ssize_t t = 0; t < len; t++) {
        const uint8_t c = src[t];
        if ((c == '.' || c == ',') && t > 0 && t + 1 < len && (uint8_t)(src[t - 1] - '0') < 10 && (uint8_t)(src[t + 1] - '0') < 10)
            continue; /* a digit group's separator: the digits join */
        const uint8_t m = map[c];
        const int is_space = m == ' ';
        /* n <= t here, and n < t after a space that wrote nothing: both writes stay inside */
        dst[n] = ' ';
        n += space & !is_space & (m != '\n') & (last != '\n');
        dst[n] = m;
        n += !is_space;
        last = is_space ? last : m;
        space = is_space;
    }
    PyBuffer_Release(&in);
    PyBuffer_Release(&table);
    if (_PyBytes_Resize(&result, n) < 0) return NULL;
    return result;
}

/* The first look at each candidate pair of a verification task (cluster._compare_pairs), for
   pairs of keys p (left) and q (right) with their test flags and near similarity (0: below the
   threshold): 1 when p may be contained in q (flag 2, p shorter) and is a substring of it; else
   2 when the near similarity is not 0; else, when p may be contained, 4 if q starts with the
   first ``anchor`` characters of p plus 8 if q ends with its last ``anchor`` (the truncated-copy
   alignments are tried only there); else 0. Replacing the Python loop took verification of the
   200 MB benchmark corpus's pairs from 4.4 to 3.9 µs a pair. */
static int tail_match(PyObject *q, PyObject *p, Py_ssize_t anchor, int at_end) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(p);
    Py_ssize_t lo = at_end ? (n > anchor ? n - anchor : 0) : 0, hi = at_end ? n : (n < anchor ? n : anchor);
    if (PyUnicode_KIND(p) == PyUnicode_KIND(q)) {
        /* The usual case (both ASCII or Latin-1): compare the code units in place instead of
           making the anchor a string of its own. */
        Py_ssize_t len = hi - lo, qn = PyUnicode_GET_LENGTH(q);
        int kind = PyUnicode_KIND(p);
        if (len > qn) return 0;
        return memcmp((const char *)PyUnicode_DATA(p) + lo * kind, (const char *)PyUnicode_DATA(q) + (at_end ? qn - len : 0) * kind,
                      (size_t)(len * kind)) == 0;
    }
    PyObject *part = PyUnicode_Substring(p, lo, hi);
    if (part == NULL) return -1;
    Py_ssize_t found = PyUnicode_Tailmatch(q, part, 0, PY_SSIZE_T_MAX, at_end ? 1 : -1);
    Py_DECREF(part);
    return (int)found;
}

/* Whether p may align with the first (at_end: the last) len(p) characters of q at a similarity
   that leaves at most max_unmatched_share of p's characters unmatched (the truncated-copy test:
   rapidfuzz's ratio of two strings of length L is 100 * LCS / L). A necessary condition, read off
   the adjacent character pairs. A common start and end of the two belong to every longest common
   subsequence and are set aside (they are often half of p: a sentence both paragraphs open
   with). In what remains, of length m, each unmatched character of p spoils at most two of its
   m - 1 adjacent pairs, and each unmatched character of q's slice at most one more (two matched
   neighbours in p whose matches in q are not neighbours have unmatched characters of q between
   them); so with u unmatched, at least m - 1 - 3u of p's pairs occur in q's. Pairs are counted
   in a table of 8192 slots (ASCII pairs each get their own); pairs that share a slot can only
   raise the count, so the test never rejects an alignment that would pass. u is rounded down,
   plus one for the floating point of the threshold. On the 200 MB benchmark corpus 97% of the
   alignments were ruled out here, none of them one that passed. */
#define PAIR_SLOTS 8192
static int32_t pair_count[PAIR_SLOTS];

static inline uint32_t pair_slot(Py_UCS4 a, Py_UCS4 b) { return (a * 64u + b + (a >> 7) * 40503u) & (PAIR_SLOTS - 1); }

/* How many of p[lo:hi]'s adjacent pairs occur in q[off + lo:off + hi] (a multiset count, stopped
   once it reaches need or can no longer reach it). Inlined with constant kinds for two Latin-1
   strings, where the compiler reads bytes directly. */
static inline __attribute__((always_inline)) Py_ssize_t shared_pairs(int pk, const void *pd, int qk, const void *qd, Py_ssize_t off,
                                                                      Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t need) {
    Py_ssize_t shared = 0;
    for (Py_ssize_t i = lo; i + 1 < hi; i++) pair_count[pair_slot(PyUnicode_READ(pk, pd, i), PyUnicode_READ(pk, pd, i + 1))]++;
    for (Py_ssize_t i = lo; i + 1 < hi && shared < need && shared + (hi - 1 - i) >= need; i++) {
        int32_t *count = &pair_count[pair_slot(PyUnicode_READ(qk, qd, off + i), PyUnicode_READ(qk, qd, off + i + 1))];
        int hit = *count > 0;
        *count -= hit;
        shared += hit;
    }
    for (Py_ssize_t i = lo; i + 1 < hi; i++) pair_count[pair_slot(PyUnicode_READ(pk, pd, i), PyUnicode_READ(pk, pd, i + 1))] = 0;
    return shared;
}

static int may_align(PyObject *p, PyObject *q, int at_end, double max_unmatched_share) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(p), qn = PyUnicode_GET_LENGTH(q);
    if (n < 2 || n > qn) return 1;
    Py_ssize_t unmatched = (Py_ssize_t)(max_unmatched_share * (double)n) + 1;
    int pk = PyUnicode_KIND(p), qk = PyUnicode_KIND(q);
    const void *pd = PyUnicode_DATA(p), *qd = PyUnicode_DATA(q);
    Py_ssize_t off = at_end ? qn - n : 0, lo = 0, hi = n;
    while (lo < n && PyUnicode_READ(pk, pd, lo) == PyUnicode_READ(qk, qd, off + lo)) lo++;
    while (hi > lo && PyUnicode_READ(pk, pd, hi - 1) == PyUnicode_READ(qk, qd, off + hi - 1)) hi--;
    Py_ssize_t need = (hi - lo - 1) - 3 * unmatched;
    if (need <= 0) return 1;
    if (pk == PyUnicode_1BYTE_KIND && qk == PyUnicode_1BYTE_KIND)
        return shared_pairs(PyUnicode_1BYTE_KIND, pd, PyUnicode_1BYTE_KIND, qd, off, lo, hi, need) >= need;
    return shared_pairs(pk, pd, qk, qd, off, lo, hi, need) >= need;
}

static PyObject *pair_kinds(PyObject *self, PyObject *args) {
    PyObject *left, *right;
    Py_buffer flags, near, out;
    Py_ssize_t anchor;
    double max_unmatched_share;
    if (!PyArg_ParseTuple(args, "O!O!y*y*ndw*", &PyList_Type, &left, &PyList_Type, &right, &flags, &near, &anchor, &max_unmatched_share, &out))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t m = PyList_GET_SIZE(left);
    if (PyList_GET_SIZE(right) != m || !check(&flags, m, 1, "flags") || !check(&near, m, sizeof(double), "near") || !check(&out, m, 1, "out"))
        goto done;
    if (anchor < 1) {
        PyErr_SetString(PyExc_ValueError, "anchor must be positive");
        goto done;
    }
    const int8_t *f = flags.buf;
    const double *s = near.buf;
    int8_t *kind = out.buf;
    for (Py_ssize_t k = 0; k < m; k++) {
        PyObject *p = PyList_GET_ITEM(left, k), *q = PyList_GET_ITEM(right, k);
        if (!PyUnicode_Check(p) || !PyUnicode_Check(q)) {
            PyErr_SetString(PyExc_TypeError, "keys must be str");
            goto done;
        }
        int can_contain = (f[k] & 2) && PyUnicode_GET_LENGTH(p) < PyUnicode_GET_LENGTH(q);
        kind[k] = 0;
        if (can_contain) {
            int inside = PyUnicode_Contains(q, p);
            if (inside < 0) goto done;
            if (inside) {
                kind[k] = 1;
                continue;
            }
        }
        if (s[k] != 0.0) {
            kind[k] = 2;
        } else if (can_contain) {
            int head = tail_match(q, p, anchor, 0), tail = tail_match(q, p, anchor, 1);
            if (head < 0 || tail < 0) goto done;
            head = head && may_align(p, q, 0, max_unmatched_share);
            tail = tail && may_align(p, q, 1, max_unmatched_share);
            kind[k] = (int8_t)(4 * head + 8 * tail);
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&flags);
    PyBuffer_Release(&near);
    PyBuffer_Release(&out);
    return result;
}

/* The keep-first loop of cluster.decide over the active rows from r0 on (see _keep_first_python,
   its reference): a row's candidates are read in order, the kept ones only, at most max_verify
   of them; the most similar match makes the row a duplicate, else the most similar pair whose
   numbers differ makes it a variant. A row's outputs are written when the row is finished, so
   at a candidate whose verdict is not known yet (verdict code -1) the loop stops and returns
   (r, k): the caller fills verdict k and calls again from row r. Returns (len(rows), -1) when
   done. Replacing the Python loop took decide at 200 MB (a million candidates) from 3.62 to
   3.29 s, its main process from 2.96 to 2.49 CPU-s. */
static PyObject *keep_first(PyObject *self, PyObject *args) {
    Py_buffer rows, is_exact, first_of, starts, ends, cand_j, kept, vcode, vsim, code, dup, sim, variant_of, variant_pair;
    Py_ssize_t max_verify, r0;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*w*y*y*nnw*w*w*w*w*", &rows, &is_exact, &first_of, &starts, &ends, &cand_j, &kept,
                          &vcode, &vsim, &max_verify, &r0, &code, &dup, &sim, &variant_of, &variant_pair))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t R = rows.len / (Py_ssize_t)sizeof(int64_t), n = kept.len, m = vcode.len;
    if (!check(&rows, R, sizeof(int64_t), "rows") || !check(&is_exact, R, 1, "is_exact") ||
        !check(&first_of, R, sizeof(int64_t), "first_of") || !check(&starts, R, sizeof(int64_t), "starts") ||
        !check(&ends, R, sizeof(int64_t), "ends") || !check(&cand_j, m, sizeof(int32_t), "cand_j") ||
        !check(&vsim, m, sizeof(double), "verdict_sim") || !check(&code, n, 1, "code") ||
        !check(&dup, n, sizeof(int32_t), "duplicate_of") || !check(&sim, n, sizeof(double), "similarity") ||
        !check(&variant_of, n, sizeof(int32_t), "variant_of") || !check(&variant_pair, n, sizeof(int64_t), "variant_pair"))
        goto done;
    if (r0 < 0 || r0 > R) {
        PyErr_SetString(PyExc_IndexError, "r0 outside the rows");
        goto done;
    }
    const int64_t *row = rows.buf, *first = first_of.buf, *start = starts.buf, *end = ends.buf;
    const uint8_t *exact = is_exact.buf;
    const int32_t *cj = cand_j.buf;
    const int8_t *vc = vcode.buf;
    const double *vs = vsim.buf;
    uint8_t *keep = kept.buf;
    int8_t *out_code = code.buf;
    int32_t *out_dup = dup.buf, *out_variant = variant_of.buf;
    double *out_sim = sim.buf;
    int64_t *out_pair = variant_pair.buf;
    Py_ssize_t r = r0, stop_at = -1;
    for (; r < R; r++) {
        int64_t i = row[r];
        if (i < 0 || i >= n || start[r] < 0 || end[r] > m || start[r] > end[r]) goto out_of_range;
        if (exact[r]) {
            int64_t j0 = first[r];
            if (j0 < 0 || j0 >= n) goto out_of_range;
            if (keep[j0]) {
                out_code[i] = 1;
                out_dup[i] = (int32_t)j0;
                out_sim[i] = 1.0;
            } else {
                out_code[i] = out_code[j0];
                out_dup[i] = out_dup[j0];
                out_sim[i] = out_sim[j0];
            }
            keep[i] = 0;
            continue;
        }
        int64_t best = -1, variant = -1;
        double best_sim = 0.0, variant_sim = 0.0;
        Py_ssize_t taken = 0;
        for (int64_t k = start[r]; k < end[r]; k++) {
            int32_t j = cj[k];
            if (j < 0 || j >= n) goto out_of_range;
            if (!keep[j]) continue;
            if (++taken > max_verify) break;
            int8_t v = vc[k];
            if (v < 0) {
                stop_at = k;
                goto stopped;
            }
            if (v == 0) continue;
            if (v & 8) {
                if (variant < 0 || vs[k] > variant_sim) variant = k, variant_sim = vs[k];
            } else if (best < 0 || vs[k] > best_sim) {
                best = k, best_sim = vs[k];
            }
        }
        if (best >= 0) {
            out_code[i] = vc[best] & 7;
            out_dup[i] = cj[best];
            out_sim[i] = best_sim;
            keep[i] = 0;
        } else if (variant >= 0) {
            out_variant[i] = cj[variant];
            out_sim[i] = variant_sim;
            out_pair[i] = variant;
        }
    }
stopped:
    result = Py_BuildValue("nn", r, stop_at);
    goto done;
out_of_range:
    PyErr_Format(PyExc_IndexError, "row %zd: an index outside its array", r);
done:
    PyBuffer_Release(&rows);
    PyBuffer_Release(&is_exact);
    PyBuffer_Release(&first_of);
    PyBuffer_Release(&starts);
    PyBuffer_Release(&ends);
    PyBuffer_Release(&cand_j);
    PyBuffer_Release(&kept);
    PyBuffer_Release(&vcode);
    PyBuffer_Release(&vsim);
    PyBuffer_Release(&code);
    PyBuffer_Release(&dup);
    PyBuffer_Release(&sim);
    PyBuffer_Release(&variant_of);
    PyBuffer_Release(&variant_pair);
    return result;
}

/* The stable argsort of 64-bit keys (numpy's argsort(kind="stable") order: by key, equal keys in
   their input order), by least-significant-digit radix sort, a byte a pass; a pass whose byte
   is the same for every key is skipped. A bucket column of the 200 MB benchmark corpus (430,000
   keys) takes 12 to 17 ms instead of numpy's 35 (timsort). */
#define DIGIT_BITS 8
#define RADIX (1 << DIGIT_BITS)
#define PASSES 8

static PyObject *stable_argsort_u64(PyObject *self, PyObject *args) {
    Py_buffer keys, out;
    if (!PyArg_ParseTuple(args, "y*w*", &keys, &out)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = keys.len / (Py_ssize_t)sizeof(uint64_t);
    uint64_t *key_a = NULL, *key_b = NULL;
    int64_t *idx_a = NULL, *idx_b = NULL;
    size_t (*counts)[RADIX] = NULL;
    if (!check(&keys, n, sizeof(uint64_t), "keys") || !check(&out, n, sizeof(int64_t), "out")) goto done;
    key_a = malloc(sizeof(uint64_t) * (size_t)(n + 1));
    key_b = malloc(sizeof(uint64_t) * (size_t)(n + 1));
    idx_b = malloc(sizeof(int64_t) * (size_t)(n + 1));
    counts = calloc(PASSES, sizeof *counts);
    if (!key_a || !key_b || !idx_b || !counts) {
        PyErr_NoMemory();
        goto done;
    }
    idx_a = out.buf;
    Py_BEGIN_ALLOW_THREADS
    const uint64_t *in = keys.buf;
    for (Py_ssize_t t = 0; t < n; t++) {
        key_a[t] = in[t];
        idx_a[t] = t;
        for (int d = 0; d < PASSES; d++) counts[d][(in[t] >> (DIGIT_BITS * d)) & (RADIX - 1)]++;
    }
    for (int d = 0; d < PASSES; d++) {
        if (n == 0 || counts[d][(key_a[0] >> (DIGIT_BITS * d)) & (RADIX - 1)] == (size_t)n) continue;  /* one value: nothing moves */
        size_t offset[RADIX], sum = 0;
        for (int v = 0; v < RADIX; v++) {
            offset[v] = sum;
            sum += counts[d][v];
        }
        for (Py_ssize_t t = 0; t < n; t++) {
            size_t to = offset[(key_a[t] >> (DIGIT_BITS * d)) & (RADIX - 1)]++;
            key_b[to] = key_a[t];
            idx_b[to] = idx_a[t];
        }
        uint64_t *swap_key = key_a;
        key_a = key_b;
        key_b = swap_key;
        int64_t *swap_idx = idx_a;
        idx_a = idx_b;
        idx_b = swap_idx;
    }
    if (idx_a != (int64_t *)out.buf) {  /* an odd number of passes moved: the order is in the scratch array */
        memcpy(out.buf, idx_a, sizeof(int64_t) * (size_t)n);
        idx_b = idx_a;  /* the scratch array, to be freed */
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    free(key_a);
    free(key_b);
    if (idx_b != (int64_t *)out.buf) free(idx_b);
    free(counts);
    PyBuffer_Release(&keys);
    PyBuffer_Release(&out);
    return result;
}

/* str.lower() of the characters U+0000-U+00FF, each one character in the same range: A-Z and
   À-Þ (but ×) made a-z and à-þ. */
static uint8_t latin1_fold[256];
#define PAIR_HASH(a, b) ((((unsigned)(a) << 5) ^ (unsigned)(b)) & 1023u)

/* Python's way: text.lower(), then one search per needle. */
static PyObject *contains_after_lower(PyObject *text, PyObject *needles) {
    PyObject *low = PyObject_CallMethod(text, "lower", NULL);
    if (low == NULL) return NULL;
    int found = 0;
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(needles) && !found; k++) {
        found = PyUnicode_Contains(low, PyTuple_GET_ITEM(needles, k));
        if (found < 0) {
            Py_DECREF(low);
            return NULL;
        }
    }
    Py_DECREF(low);
    return PyBool_FromLong(found);
}

/* A character as the needle scan compares it: lower() of a character below U+0100, or 256 (no
   needle holds it) for one above. */
static inline unsigned folded(Py_UCS4 ch) {
    return ch < 256 ? latin1_fold[ch] : 256u;
}

/* What the scan needs of one tuple of needles: for each character the set of needles that start
   with it; a filter of their first two characters (a hash of the pair into 1,024 bits), so that
   only a position where a needle may start is looked at (most needles start with common letters,
   "image", "pic", "copyright", few pairs do); the one-character needles. Built once per tuple and
   kept (see needle_table): the same two or three tuples are asked about on every line and
   paragraph, and building the tables (3 KB zeroed, then filled) cost as much as scanning a line. */
typedef struct {
    PyObject *needles; /* the tuple, a reference held: its str objects hold needle_data */
    int any_empty;     /* "" is in every text */
    int any_wide;      /* a needle above U+00FF: only Python's way can tell, in a text with such characters */
    int too_many;      /* more than 64 needles: Python's way */
    const uint8_t *needle_data[64];
    Py_ssize_t needle_len[64];
    uint64_t starting_with[257];
    uint64_t pair_filter[16];
    uint8_t single[257];   /* one-character needles */
    uint8_t may_start[257]; /* a needle of one character, or of more, starts with it */
} NeedleTable;

#define NEEDLE_CACHE 8
static NeedleTable needle_cache[NEEDLE_CACHE];
static int needle_cache_next;

/* The tables of ``needles`` (a tuple of str, checked by the caller), from the cache or built into
   its next slot. A tuple is known by its identity: the cache holds a reference to it, so no other
   object can take its address while its tables are kept. */
static NeedleTable *needle_table(PyObject *needles) {
    for (int i = 0; i < NEEDLE_CACHE; i++)
        if (needle_cache[i].needles == needles) return &needle_cache[i];
    NeedleTable *table = &needle_cache[needle_cache_next];
    needle_cache_next = (needle_cache_next + 1) % NEEDLE_CACHE;
    Py_XDECREF(table->needles);
    memset(table, 0, sizeof(*table));
    Py_INCREF(needles);
    table->needles = needles;
    Py_ssize_t count = PyTuple_GET_SIZE(needles);
    if (count > 64) {
        table->too_many = 1;
        return table;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *needle = PyTuple_GET_ITEM(needles, k);
        Py_ssize_t m = PyUnicode_GET_LENGTH(needle);
        if (m == 0) {
            table->any_empty = 1;
            continue;
        }
        if (PyUnicode_KIND(needle) != PyUnicode_1BYTE_KIND) {
            /* A needle above U+00FF: only in a text that has such characters, which lower()
               may change into it ("Σ" -> "σ"); Python's way for such a text. */
            table->any_wide = 1;
            continue;
        }
        const uint8_t *n = PyUnicode_1BYTE_DATA(needle);
        int as_lowered = 1;
        for (Py_ssize_t u = 0; u < m; u++)
            if (latin1_fold[n[u]] != n[u]) as_lowered = 0;
        if (!as_lowered) continue; /* lower() never leaves such a needle in the text */
        table->may_start[n[0]] = 1;
        if (m == 1) {
            table->single[n[0]] = 1;
            continue;
        }
        table->needle_data[k] = n;
        table->needle_len[k] = m;
        table->starting_with[n[0]] |= (uint64_t)1 << k;
        unsigned h = PAIR_HASH(n[0], n[1]);
        table->pair_filter[h >> 6] |= (uint64_t)1 << (h & 63);
    }
    return table;
}

/* 1 when a needle is at some position of the text, 0 when none is, -1 when the text holds a
   character of into_latin1 (then only Python's lower() can tell). */
static inline int scan_folded(const int kind, const void *data, const Py_ssize_t len, PyObject *into_latin1,
                              const NeedleTable *table) {
    const Py_ssize_t specials = PyUnicode_GET_LENGTH(into_latin1);
    for (Py_ssize_t t = 0; t < len; t++) {
        const Py_UCS4 ch = PyUnicode_READ(kind, data, t);
        const unsigned c = folded(ch);
        if (c == 256 && specials > 0 && PyUnicode_FindChar(into_latin1, ch, 0, specials, 1) >= 0) return -1;
        if (!table->may_start[c]) continue;
        if (table->single[c]) return 1;
        if (t + 1 == len) continue; /* (a character of into_latin1 may still follow: no break) */
        unsigned h = PAIR_HASH(c, folded(PyUnicode_READ(kind, data, t + 1)));
        if (!((table->pair_filter[h >> 6] >> (h & 63)) & 1)) continue;
        uint64_t candidates = table->starting_with[c];
        while (candidates) {
            int k = __builtin_ctzll(candidates);
            candidates &= candidates - 1;
            const uint8_t *n = table->needle_data[k];
            Py_ssize_t m = table->needle_len[k], u = 1;
            if (m > len - t) continue;
            while (u < m && folded(PyUnicode_READ(kind, data, t + u)) == n[u]) u++;
            if (u == m) return 1;
        }
    }
    return 0;
}

/* any(needle in text.lower() for needle in needles), for the cheap prechecks of the boilerplate
   rules ("image", "photo", ... before the caption-credit pattern; "©", "copyright" before the
   copyright one), which run on every paragraph and every line. Python lowers the text and scans
   it once per needle: ten scans of each paragraph, 6.5% of pass 1 at 3 µs a paragraph. Here it
   is one scan that lowers as it goes. lower() maps U+0000-U+00FF into itself one character for
   one, so a needle with a character that lower() would change, or one above U+00FF, cannot be
   found, and a character above U+00FF is part of no match (curly quotes, dashes) unless its
   lower() holds one below U+0100 ("İ" -> "i̇", the Kelvin sign -> "k"): those, listed by the
   caller in into_latin1 (boilerplate.py works them out from the running Python's lower()), send
   the text Python's way. */
static PyObject *contains_any_folded(PyObject *self, PyObject *args) {
    PyObject *into_latin1, *text, *needles;
    if (!PyArg_ParseTuple(args, "UUO!", &into_latin1, &text, &PyTuple_Type, &needles)) return NULL;
    NeedleTable *table = NULL;
    for (int i = 0; i < NEEDLE_CACHE && table == NULL; i++)
        if (needle_cache[i].needles == needles) table = &needle_cache[i];
    if (table == NULL) {
        Py_ssize_t count = PyTuple_GET_SIZE(needles);
        for (Py_ssize_t k = 0; k < count; k++) {
            if (!PyUnicode_Check(PyTuple_GET_ITEM(needles, k))) {
                PyErr_SetString(PyExc_TypeError, "needles must be a tuple of str");
                return NULL;
            }
        }
        table = needle_table(needles);
    }
    if (table->any_empty) Py_RETURN_TRUE;
    if (table->too_many || (table->any_wide && PyUnicode_KIND(text) != PyUnicode_1BYTE_KIND))
        return contains_after_lower(text, needles);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int found;
    /* One call per kind, so that each is compiled for its own width. */
    if (kind == PyUnicode_1BYTE_KIND)
        found = scan_folded(PyUnicode_1BYTE_KIND, data, len, into_latin1, table);
    else if (kind == PyUnicode_2BYTE_KIND)
        found = scan_folded(PyUnicode_2BYTE_KIND, data, len, into_latin1, table);
    else
        found = scan_folded(PyUnicode_4BYTE_KIND, data, len, into_latin1, table);
    if (found < 0) return contains_after_lower(text, needles); /* "İ", "K" (Kelvin sign)... */
    return PyBool_FromLong(found);
}

/* Which of four kinds of character a text holds, for the repair and content checks that would
   otherwise scan it with a regular expression each (about 6 ns a character for a character
   class, three scans of every line or paragraph that is not ASCII; curly quotes make most
   English news text so): bit 1, a lone surrogate U+DC80-U+DCFF (an undecodable byte kept by the
   reader); bit 2, a character that makes ftfy worth calling (normalise._FTFY_TRIGGER: "&", C0
   controls but tab and line feed, DEL, C1 controls, U+FFFD, the Latin ligatures U+FB00-U+FB06);
   bit 4, a letter or digit outside ASCII (str.isalnum, what a regex's \w adds to "_"); bit 8, a
   decimal digit (str.isdecimal, what a regex's \d matches: the precheck of the dateline rule,
   whose every date holds one). Only the bits of ``wanted`` are looked for; the scan stops once
   they are all found. */
static PyObject *text_traits(PyObject *self, PyObject *args) {
    PyObject *text;
    int wanted;
    if (!PyArg_ParseTuple(args, "Ui", &text, &wanted)) return NULL;
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int found = 0;
    wanted &= 15;
    for (Py_ssize_t t = 0; t < len && (found & wanted) != wanted; t++) {
        const Py_UCS4 ch = PyUnicode_READ(kind, data, t);
        if (ch < 0x80) {
            if (ch == '&' || ch <= 0x08 || (ch >= 0x0b && ch <= 0x1f) || ch == 0x7f) found |= 2;
            else if (ch - '0' < 10u) found |= 8;
        } else if (ch <= 0x9f || ch == 0xfffd || (ch >= 0xfb00 && ch <= 0xfb06)) {
            found |= 2;
            if (ch >= 0xfb00 && Py_UNICODE_ISALNUM(ch)) found |= 4; /* the ligatures are letters too */
        } else if (ch >= 0xdc80 && ch <= 0xdcff) {
            found |= 1;
        } else if (Py_UNICODE_ISALNUM(ch)) {
            found |= 4;
            if (Py_UNICODE_ISDECIMAL(ch)) found |= 8; /* what a regex's \d matches: "٣", "３" */
        }
    }
    return PyLong_FromLong(found & wanted);
}

/* The words of a text as boilerplate._ascii_reads_as_content counts them: runs of ASCII letters
   (any other character, a non-ASCII letter too, separates words), returned as (the number that
   start with a lower-case letter, the number that start with a capital). The Python version
   encodes the text to ASCII with "?" for the rest, maps its bytes to shapes and counts two byte
   pairs: 2.1 µs for a 400-character paragraph of the 20 MB benchmark corpus; the pass here,
   0.25 µs. */
static PyObject *ascii_word_starts(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text)) return NULL;
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    Py_ssize_t lower = 0, upper = 0;
    if (kind == PyUnicode_1BYTE_KIND) {
        /* Most text. A word starts at a letter after a character that is none: each position
           is decided from its own byte and the one before, with no state carried from one to
           the next, so that the compiler vectorises the loop (counts kept in 32 bits, summed
           every 2^20 characters). */
        const uint8_t *bytes = data;
        if (len > 0) {
            lower = (uint8_t)(bytes[0] - 'a') < 26;
            upper = (uint8_t)(bytes[0] - 'A') < 26;
        }
        for (Py_ssize_t lo = 1; lo < len; lo += 1 << 20) {
            const Py_ssize_t hi = len - lo > (1 << 20) ? lo + (1 << 20) : len;
            uint32_t lower_here = 0, upper_here = 0;
            for (Py_ssize_t t = lo; t < hi; t++) {
                const uint8_t c = bytes[t], p = bytes[t - 1];
                const uint32_t after_letter = ((uint8_t)(p - 'a') < 26) | ((uint8_t)(p - 'A') < 26);
                lower_here += (after_letter ^ 1) & ((uint8_t)(c - 'a') < 26);
                upper_here += (after_letter ^ 1) & ((uint8_t)(c - 'A') < 26);
            }
            lower += lower_here;
            upper += upper_here;
        }
    } else {
        int after_letter = 0;
        for (Py_ssize_t t = 0; t < len; t++) {
            const Py_UCS4 ch = PyUnicode_READ(kind, data, t);
            const int is_lower = ch - 'a' < 26u, is_upper = ch - 'A' < 26u;
            lower += !after_letter & is_lower;
            upper += !after_letter & is_upper;
            after_letter = is_lower | is_upper;
        }
    }
    return Py_BuildValue("(nn)", lower, upper);
}

/* Whether an ASCII line needs nothing from normalise.repair_text: no "&" (an entity for ftfy), no
   character str.isprintable refuses (C0 controls, tab and line feed included, and DEL), no two
   spaces in a row and no space at either end. Python's checks (``"&" in``, ``isprintable``,
   ``"  " in`` and the ends) scan a 400-character line three times, 1.8 µs; this scan, 0.2 µs.
   False for text that is not ASCII (the caller's other path). */
static PyObject *ascii_line_is_clean(PyObject *self, PyObject *args) {
    PyObject *text;
    if (!PyArg_ParseTuple(args, "U", &text)) return NULL;
    if (!PyUnicode_IS_ASCII(text)) Py_RETURN_FALSE;
    const uint8_t *bytes = PyUnicode_1BYTE_DATA(text);
    const Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    if (len == 0) Py_RETURN_TRUE;
    if (bytes[0] == ' ' || bytes[len - 1] == ' ') Py_RETURN_FALSE;
    /* No dependency from one character to the next: the compiler vectorises the loop. The last
       character is a letter or punctuation here (not a space), so no pair starts there. */
    int bad = 0;
    for (Py_ssize_t t = 0; t + 1 < len; t++) {
        const uint8_t c = bytes[t];
        bad |= (c < 0x20) | (c == 0x7f) | (c == '&') | ((c == ' ') & (bytes[t + 1] == ' '));
    }
    const uint8_t last = bytes[len - 1];
    bad |= (last < 0x20) | (last == 0x7f) | (last == '&');
    return PyBool_FromLong(!bad);
}

static int append_span(PyObject *list, Py_ssize_t lo, Py_ssize_t hi) {
    PyObject *span = Py_BuildValue("(nn)", lo, hi);
    if (span == NULL) return -1;
    int failed = PyList_Append(list, span);
    Py_DECREF(span);
    return failed;
}

/* The stretches of a text where ftfy's mojibake pattern may match (normalise.looks_like_mojibake,
   which loops over the runs of non-ASCII characters in Python: 5% of pass 1 on English text with
   curly quotes): each run of characters above U+007F with ``reach`` characters on either side,
   stretches that overlap merged; a stretch is kept when it holds two non-ASCII characters or
   one of ``lone`` (None: every stretch is kept). Returns (the number of non-ASCII characters,
   [(start, end), ...] of the kept stretches; an end may pass the end of the text). */
static PyObject *mojibake_windows(PyObject *self, PyObject *args) {
    PyObject *text, *lone;
    Py_ssize_t reach;
    if (!PyArg_ParseTuple(args, "UnO", &text, &reach, &lone)) return NULL;
    if (lone != Py_None && !PyUnicode_Check(lone)) {
        PyErr_SetString(PyExc_TypeError, "lone must be a str or None");
        return NULL;
    }
    PyObject *windows = PyList_New(0);
    if (windows == NULL) return NULL;
    Py_ssize_t non_ascii = 0;
    if (!PyUnicode_IS_ASCII(text)) {
        const int kind = PyUnicode_KIND(text);
        const void *data = PyUnicode_DATA(text);
        const Py_ssize_t len = PyUnicode_GET_LENGTH(text), lone_len = lone == Py_None ? 0 : PyUnicode_GET_LENGTH(lone);
        Py_ssize_t lo = 0, hi = -1; /* the open stretch; none while hi < 0 */
        int possible = 0;
        for (Py_ssize_t t = 0; t < len; t++) {
            if (PyUnicode_READ(kind, data, t) < 0x80) continue;
            /* A run of non-ASCII characters from t: it joins the open stretch when their
               stretches overlap, else the open one is done and the run opens the next. */
            Py_ssize_t end = t + 1;
            while (end < len && PyUnicode_READ(kind, data, end) >= 0x80) end++;
            non_ascii += end - t;
            Py_ssize_t run_lo = t > reach ? t - reach : 0, run_hi = end + reach;
            int run_possible = lone == Py_None || end - t > 1 ||
                               PyUnicode_FindChar(lone, PyUnicode_READ(kind, data, t), 0, lone_len, 1) >= 0;
            if (hi >= 0 && run_lo <= hi) {
                hi = run_hi;
                possible = 1; /* two non-ASCII characters close together */
            } else {
                if (hi >= 0 && possible && append_span(windows, lo, hi) < 0) goto fail;
                lo = run_lo;
                hi = run_hi;
                possible = run_possible;
            }
            t = end - 1;
        }
        if (hi >= 0 && possible && append_span(windows, lo, hi) < 0) goto fail;
    }
    return Py_BuildValue("(nN)", non_ascii, windows);
fail:
    Py_DECREF(windows);
    return NULL;
}

static PyMethodDef methods[] = {
    {"ascii_line_is_clean", ascii_line_is_clean, METH_VARARGS,
     "ascii_line_is_clean(text): text is ASCII without '&', unprintable characters, two spaces in a row or a space "
     "at either end (normalise.repair_text leaves it as it is)."},
    {"ascii_word_starts", ascii_word_starts, METH_VARARGS,
     "ascii_word_starts(text): (words starting lower-case, words starting with a capital), a word being a run "
     "of ASCII letters (see boilerplate._ascii_reads_as_content)."},
    {"keep_first", keep_first, METH_VARARGS,
     "keep_first(rows, is_exact, first_of, starts, ends, cand_j, kept, verdict_code, verdict_sim, max_verify, r0, "
     "code, duplicate_of, similarity, variant_of, variant_pair): the keep-first loop of cluster.decide from row r0 "
     "until a verdict is missing; returns (row, candidate) where it stopped, (len(rows), -1) when done."},
    {"mojibake_windows", mojibake_windows, METH_VARARGS,
     "mojibake_windows(text, reach, lone): (non-ASCII characters, [(start, end), ...]) of the stretches "
     "where ftfy's mojibake pattern may match (see normalise.looks_like_mojibake)."},
    {"text_traits", text_traits, METH_VARARGS,
     "text_traits(text, wanted): bits of wanted for the characters text holds: 1 a lone surrogate U+DC80-U+DCFF, "
     "2 one that makes ftfy worth calling, 4 a letter or digit outside ASCII, 8 a decimal digit (what a regex's \\d matches)."},
    {"contains_any_folded", contains_any_folded, METH_VARARGS,
     "contains_any_folded(into_latin1, text, needles): any(needle in text.lower() for needle in needles); "
     "into_latin1: every character above U+00FF whose lower() holds one below U+0100."},
    {"stable_argsort_u64", stable_argsort_u64, METH_VARARGS,
     "stable_argsort_u64(keys, out): out (int64) = numpy.argsort(keys, kind='stable') for uint64 keys."},
    {"pair_kinds", pair_kinds, METH_VARARGS,
     "pair_kinds(left, right, flags, near, anchor, max_unmatched_share, out): the first look at each candidate "
     "pair of a verification task (see cluster._compare_pairs), into out (int8)."},
    {"ascii_keys", ascii_keys, METH_VARARGS,
     "ascii_keys(data, table): the match keys of ASCII data, a line each: digit groups joined, bytes mapped by table, "
     "space runs made one space, ends stripped (see normalise.match_key)."},
    {"agreements", agreements, METH_VARARGS,
     "agreements(sketch, width, i, j, out): out[k] = the number of equal bytes of rows i[k] and j[k] of "
     "sketch (rows of width bytes; i, j and out int64)."},
    {"batch", batch, METH_VARARGS,
     "batch(data, key_start, key_end, a, b, mix, r_inv, num_perm, bands, k, min_words, affix_words, "
     "key_hash, n_words, buckets, sketch, column_major): fill the four output buffers (zeroed by the "
     "caller) with the fingerprints of the keys data[key_start[i]:key_end[i]]; buckets is (n, bands + 2) "
     "row by row, or (bands + 2, n) when column_major."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", "Compiled loops of corpus-dedupe: fingerprints of a batch of match keys, sketch agreements of candidate pairs, match keys of ASCII text, needle prechecks of boilerplate rules.", -1, methods};

/* compiled.py uses this module only when API_VERSION is the one it was written for: an old
   build left in a source tree is ignored (numpy does the work) instead of misbehaving. */
PyMODINIT_FUNC PyInit__speedups(void) {
    for (int c = 0; c < 256; c++) latin1_fold[c] = (uint8_t)((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 32 : c);
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "API_VERSION", 16) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
