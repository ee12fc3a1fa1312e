/* json.h - a strict JSON checker for tests and fuzzers. */
#ifndef LB_JSON_H
#define LB_JSON_H

#include <stddef.h>

/* 0 if s[0..n) is one JSON value (RFC 8259) whose strings are valid UTF-8; else -1, why in why. */
int json_check(const char *s, size_t n, char *why, size_t nwhy);

#endif
