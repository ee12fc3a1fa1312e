/*
 * llambo_c.h - the engine side of the Llambo_c builtin module, as the
 * Inferno glue (llambo_c.c) sees it.
 *
 * engine.c runs every libllambo call on a thread of its own (a large
 * stack, every signal blocked, the default floating-point environment),
 * because emu's threads have 32 KiB stacks, a broken x87 control word
 * and signal handlers that assume an Inferno process.  The glue calls
 * these functions between release() and acquire().
 *
 * Plain C types only and no system headers: the glue is compiled with
 * Inferno's lib9.h, which redefines parts of the C library.
 * err is a buffer of LBC_ERRLEN bytes that receives the reason of a
 * failure.  Memory returned here is released with lbc_release.
 */

enum {
	LBC_ERRLEN = 256,
	LBC_MAXTEXT = 1 << 20	/* longest prompt or option string accepted */
};

typedef struct Lbcgen Lbcgen;

int	lbc_load(const char *path, int use_mmap, int n_gpu_layers, char *err);
int	lbc_reserve(char *err);
int	lbc_load_into(int id, const char *path, int use_mmap, int n_gpu_layers, char *err);
int	lbc_free_model(int id, char *err);
int	lbc_tokenize(int id, const char *text, int **tokens, char *err);
char*	lbc_infer(int id, const char *prompt, int max_tokens, double temperature, char *err);
char*	lbc_info(int id, char *err);
char*	lbc_status(int id, char *err);
int	lbc_models(int **ids, char *err);
void	lbc_release(void *p);

/* Generations: start returns one reference for the caller, dropped by lbc_drop. */
Lbcgen*	lbc_start(int id, const char *prompt, const char *opts, char *err);
char*	lbc_next(Lbcgen *g, int *len);	/* waits; the new text, or 0 when over */
void	lbc_cancel(Lbcgen *g);
int	lbc_finish(Lbcgen *g, char *err, const char **why);	/* tokens generated */
void	lbc_drop(Lbcgen *g);
