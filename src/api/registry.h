/*
 * registry.h - model ids: small integers, lowest free first, reference counted.
 *
 * An id is reserved (empty), then loading, then ready.  Freeing a ready model
 * hides it at once; the model itself and its id live on until the last holder
 * (a running generation) lets go, so an id is never reused while in use.  A
 * model that has a scheduler is then freed by the scheduler's thread.
 */
#ifndef LB_REGISTRY_H
#define LB_REGISTRY_H

#include "../model/model.h"
#include "llambo.h"

int reg_reserve(void);	/* a new id, or -1 */
int reg_begin_load(int id, const char *path, int use_mmap, int n_gpu_layers);	/* empty -> loading */
void reg_end_load(int id, Model *m);	/* loading -> ready (m != NULL) or back to empty */
Model *reg_hold(int id);	/* a ready model with one more reference, or NULL with lb_err set */
struct Sched *reg_sched(int id);	/* the same, as its scheduler (made at the first call); NULL with lb_err */
void reg_release(int id);
int reg_free(int id);	/* 0, or -1 with lb_err set */
int reg_status(int id, llambo_status *st);
int reg_list(int *ids, int max);
int reg_load_options(int id, int *use_mmap, int *n_gpu_layers, char *path, int npath);

#endif
