/*
 * sesssave.c - ctl's "save NAME" and "restore NAME": a session's settings,
 * messages and KV cache in a file of the first model directory (-m), and
 * back into a session, on this server or another: its first turn evaluates
 * only its new tokens.
 *
 * The file is lines "key value", and for texts "key LENGTH" followed by that
 * many bytes and a newline:
 *
 *	llambo-session 1
 *	model NAME
 *	temperature 0.7
 *	maxtokens 1024
 *	options 12\ntop_k=20|seed=7
 *	system 9\nBe brief.
 *	prefill 0\n
 *	user 11\nHello there
 *	assistant 5\n Hi!
 *	dropped 0
 *	autocompact 0
 *
 *	tokens 9\n1:-1 2:14
 *	text 14\n...
 *	cache 2 4096 SIZE HASH f16 f16 4096 4096 model.gguf\n(2 x 4096 bytes)
 *
 * tokens and text are the engine session's record (llambo_chat_export: each
 * token and where its text ends), so a restored session evaluates the very
 * tokens the saved one held, and replies as it would have.  The last line,
 * cache N POS_BYTES FIT, is followed by the KV cache of the record's first
 * N tokens (llambo_chat_cache_export; FIT says which model, KV types and
 * context it is for): a restored session given it evaluates none of them.
 * A cache for another context or KV types is left unused (the record is
 * evaluated); one for another model is refused.
 *
 * A file is read as hostile input: every length is checked against what is
 * left and against the server's limits before it is used.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "../util/error.h"
#include "impl.h"

enum { MAXFILE = 64 << 20 };	/* the file but its cache */

/* The file NAME names in the first model directory; -1 with lb_err. */
static int
savepath(StyxSrv *s, const char *name, char *out, size_t n)
{
	if(s->cfg.ndirs == 0)
		return lb_err("save and restore need a model directory (llambo-styx -m DIR)");
	if(*name == 0 || strchr(name, '/') != NULL || name[0] == '.')
		return lb_err("bad session file name: %s (a name in the model directory, no '/')", name);
	if(snprintf(out, n, "%s/%s", s->dirs[0], name) >= (int)n)
		return lb_err("session file name too long");
	return 0;
}

static void
blob(FILE *f, const char *key, const char *text)
{
	size_t n = text != NULL ? strlen(text) : 0;

	fprintf(f, "%s %zu\n", key, n);
	if(n > 0)
		fwrite(text, 1, n, f);
	fputc('\n', f);
}

/* The engine session's record: "tokens" (each token:end), then "text". */
static int
record(FILE *f, llambo_chat_session *cs)
{
	int32_t *toks;
	long *ends;
	char *text, num[48];
	size_t len, k = 0;
	int n = llambo_chat_export(cs, &toks, &ends, &text, &len), i;

	if(n < 0)
		return -1;
	for(i = 0; i < n; i++)
		k += (size_t)snprintf(num, sizeof num, i > 0 ? " %d:%ld" : "%d:%ld", toks[i], ends[i]);
	fprintf(f, "tokens %zu\n", k);
	for(i = 0; i < n; i++)
		fprintf(f, i > 0 ? " %d:%ld" : "%d:%ld", toks[i], ends[i]);
	fprintf(f, "\ntext %zu\n", len);
	fwrite(text, 1, len, f);
	fputc('\n', f);
	free(toks);
	free(ends);
	free(text);
	return 0;
}

/* The KV cache behind the record, the file's last line and bytes. */
static int
cache(FILE *f, llambo_chat_session *cs)
{
	char fit[1200];
	size_t pb;
	void *rows;
	int n = llambo_chat_cache_export(cs, &rows, &pb, fit, sizeof fit);

	if(n <= 0)
		return n;
	fprintf(f, "cache %d %zu %s\n", n, pb, fit);
	fwrite(rows, pb, (size_t)n, f);
	fputc('\n', f);
	free(rows);
	return 0;
}

/* 0 if a save may write path: nothing is there, or a saved session; -1 with lb_err (a model, anything else). */
static int
writable(const char *path)
{
	char head[24] = "";
	size_t n = strlen(path);
	FILE *f;

	if(n >= 5 && strcmp(path + n - 5, ".gguf") == 0)
		return lb_err("save %s: a name ending in .gguf is a model's", path);
	if((f = fopen(path, "r")) == NULL)
		return 0;
	if(fgets(head, sizeof head, f) == NULL || strcmp(head, "llambo-session 1\n") != 0){
		fclose(f);
		return lb_err("save %s: a file that is not a saved session is there", path);
	}
	fclose(f);
	return 0;
}

int
sess_save(StyxSrv *s, Sess *ss, const char *name)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int i, bad;

	if(sess_running(ss))
		return lb_err("a turn is in progress: save when it ends");
	if(savepath(s, name, path, sizeof path) < 0 || writable(path) < 0)
		return -1;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if((f = fopen(tmp, "w")) == NULL)
		return lb_err("save %s: %s", path, strerror(errno));
	fprintf(f, "llambo-session 1\nmodel %s\ntemperature %.9g\nmaxtokens %d\n", ss->model != NULL ? ss->model : "",
		ss->set->params.temperature, ss->set->params.max_tokens);
	blob(f, "options", ss->opts);
	blob(f, "system", ss->system);
	blob(f, "prefill", ss->prefill);
	for(i = 0; i < ss->nmsgs; i++)
		blob(f, ss->msgs[i].role, ss->msgs[i].content);
	fprintf(f, "dropped %d\nautocompact %d\n", ss->dropped, ss->autocompact);
	if(ss->cs != NULL && (record(f, ss->cs) < 0 || cache(f, ss->cs) < 0)){
		fclose(f);
		remove(tmp);
		return -1;
	}
	bad = ferror(f);
	if(fclose(f) != 0 || bad || rename(tmp, path) < 0){
		remove(tmp);
		return lb_err("save %s: %s", path, strerror(errno));
	}
	return 0;
}

/* A file being read: what is left of it. */
typedef struct In {
	char *p, *end;
} In;

/* The next line "key value" (value without its newline, in place); -1 at the end or on a line with no newline. */
static int
line(In *in, char **key, char **value)
{
	char *nl = memchr(in->p, '\n', (size_t)(in->end - in->p)), *sp;

	if(nl == NULL)
		return -1;
	*nl = 0;
	*key = in->p;
	if((sp = strchr(in->p, ' ')) != NULL){
		*sp = 0;
		*value = sp + 1;
	}else
		*value = nl;
	in->p = nl + 1;
	return 0;
}

/* The text of a "key LENGTH" line (malloc'd); NULL with lb_err if the length is bad. */
static char *
text(In *in, const char *len, size_t max)
{
	char *end, *t;
	unsigned long n;

	errno = 0;
	n = strtoul(len, &end, 10);
	if(*len < '0' || *len > '9' || *end != 0 || errno != 0 || n > max || n + 1 > (size_t)(in->end - in->p) || in->p[n] != '\n'){
		lb_err("bad session file: a text of %s bytes", len);
		return NULL;
	}
	if((t = malloc(n + 1)) == NULL){
		lb_err("out of memory");
		return NULL;
	}
	memcpy(t, in->p, n);
	t[n] = 0;
	in->p += n + 1;
	return t;
}

/* The engine session's record read from the file, and its cache: the line's value, and where its bytes begin. */
typedef struct Rec {
	char *tokens, *text;
	char *cache;
	off_t at;
} Rec;

/* With ss->lk held: a session for the record, which then holds it; -1 with lb_err. */
static int
import(StyxSrv *s, Sess *ss, const Rec *rec)
{
	int32_t *toks;
	long *ends;
	char *p, *end;
	int n = 0, max, rc;

	if(ss->id < 0)
		return lb_err("bad session file: a record with no model");
	if(ss->cs == NULL && (ss->cs = llambo_chat_open(ss->id, NULL, s->cfg.lim.session_ctx, s->cfg.lim.gen_threads)) == NULL)
		return -1;
	llambo_chat_usage(ss->cs, &max);
	toks = malloc(sizeof *toks * (size_t)max);
	ends = malloc(sizeof *ends * (size_t)max);
	rc = toks == NULL || ends == NULL ? lb_err("out of memory") : 0;
	for(p = rec->tokens; rc == 0 && *p != 0; p = end + (*end == ' ')){
		if(n == max)
			rc = lb_err("bad session file: more tokens than the context holds (%d)", max);
		else{
			toks[n] = (int32_t)strtol(p, &end, 10);
			if(end == p || *end != ':')
				rc = lb_err("bad session file: tokens");
			else{
				ends[n++] = strtol(p = end + 1, &end, 10);
				if(end == p || (*end != ' ' && *end != 0))
					rc = lb_err("bad session file: tokens");
			}
		}
	}
	if(rc == 0)
		rc = llambo_chat_import(ss->cs, toks, ends, n, rec->text, strlen(rec->text));
	free(toks);
	free(ends);
	return rc;
}

/* With ss->lk held: one line of the file into ss (or rec); -1 with lb_err. */
static int
field(StyxSrv *s, Sess *ss, Rec *rec, In *in, char *key, char *value)
{
	char *t, **into = NULL;
	size_t max = s->cfg.lim.max_history;

	if(strcmp(key, "model") == 0)
		return *value == 0 || sess_bind(s, ss, value) == 0 ? 0 : -1;
	if(strcmp(key, "temperature") == 0 || strcmp(key, "maxtokens") == 0)
		return sess_number(ss, strcmp(key, "temperature") == 0 ? Qtemp : Qmaxtok, value);
	if(strcmp(key, "dropped") == 0){
		ss->dropped = atoi(value);
		return 0;
	}
	if(strcmp(key, "autocompact") == 0)
		return sess_setautocompact(ss, value);
	if(strcmp(key, "cache") == 0){	/* the last line: bytes follow */
		rec->cache = value;
		return 0;
	}
	if(strcmp(key, "options") == 0 || strcmp(key, "system") == 0 || strcmp(key, "prefill") == 0)
		into = key[0] == 'o' ? &ss->opts : key[0] == 's' ? &ss->system : &ss->prefill;
	else if(strcmp(key, "tokens") == 0 || strcmp(key, "text") == 0){
		into = key[1] == 'o' ? &rec->tokens : &rec->text;
		max = 16 * max + 4096;	/* a token is its number and its end */
	}else if(strcmp(key, "user") != 0 && strcmp(key, "assistant") != 0)
		return lb_err("bad session file: unknown line %.32s", key);
	if((t = text(in, value, max)) == NULL)
		return -1;
	if(into == NULL)
		return sess_addmsg(ss, key[0] == 'u' ? "user" : "assistant", t);
	if(into == &ss->opts && *t != 0 && llambo_request_options(ss->set, t, strlen(t)) < 0){
		free(t);
		return -1;
	}
	free(*into);
	*into = t;
	return 0;
}

/* A decimal count at *p, at most max, and the space after it; -1 if there is none. */
static long long
count(char **p, long long max)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(*p, &end, 10);
	if(**p < '0' || **p > '9' || errno != 0 || n > max || *end != ' ')
		return -1;
	*p = end + 1;
	return n;
}

/*
 * With ss->lk held: the cache after the record, the rest of the file f of size bytes:
 * "N POS_BYTES FIT", N times POS_BYTES bytes and a newline.  -1 with lb_err.
 */
static int
loadcache(Sess *ss, const Rec *rec, FILE *f, off_t size)
{
	char *p = rec->cache;
	long long n = count(&p, INT_MAX), pb = count(&p, LLONG_MAX), left = (long long)(size - rec->at) - 1;
	void *rows = NULL;

	if(n < 0 || pb <= 0 || left < 0 || (unsigned long long)left > SIZE_MAX || n != left / pb || left % pb != 0)
		return lb_err("bad session file: a cache of %.64s that is not the file's %lld bytes after it", rec->cache, left + 1);
	if(n > 0 && (rows = malloc((size_t)left)) == NULL)
		return lb_err("out of memory for a saved cache of %lld bytes", left);
	if(n > 0 && (fseeko(f, rec->at, SEEK_SET) < 0 || fread(rows, (size_t)pb, (size_t)n, f) != (size_t)n || fgetc(f) != '\n')){
		free(rows);
		return lb_err("bad session file: its cache cannot be read");
	}
	return llambo_chat_cache_import(ss->cs, rows, (int)n, (size_t)pb, p) < 0 ? -1 : 0;
}

int
sess_restore(StyxSrv *s, Sess *ss, const char *name)
{
	char path[PATH_MAX], *buf, *key, *value;
	Rec rec = { NULL, NULL, NULL, 0 };
	In in;
	off_t size;
	size_t n;
	FILE *f;
	int rc = 0;

	if(sess_running(ss))
		return lb_err("a turn is in progress: restore when it ends");
	if(savepath(s, name, path, sizeof path) < 0)
		return -1;
	if((f = fopen(path, "r")) == NULL)
		return lb_err("restore %s: %s", path, strerror(errno));
	if(fseeko(f, 0, SEEK_END) < 0 || (size = ftello(f)) < 0 || fseeko(f, 0, SEEK_SET) < 0
	|| (buf = malloc((n = size < MAXFILE ? (size_t)size : MAXFILE) + 1)) == NULL || fread(buf, 1, n, f) != n){
		fclose(f);
		return lb_err("restore %s: cannot read it", path);
	}
	in.p = buf;
	in.end = buf + n;
	if(line(&in, &key, &value) < 0 || strcmp(key, "llambo-session") != 0 || strcmp(value, "1") != 0)
		rc = lb_err("restore %s: not a session file (llambo-session 1)", path);
	if(rc == 0){
		sess_reset(ss);
		sess_uncache(ss);
	}
	while(rc == 0 && rec.cache == NULL && in.p < in.end)
		if(line(&in, &key, &value) < 0)
			rc = lb_err("restore %s: a line without its newline (the file but its cache: at most %d MiB)", path, MAXFILE >> 20);
		else
			rc = field(s, ss, &rec, &in, key, value);
	rec.at = in.p - buf;
	if(rc == 0 && (rec.tokens != NULL) != (rec.text != NULL))
		rc = lb_err("restore %s: tokens without their text", path);
	if(rc == 0 && rec.cache != NULL && rec.tokens == NULL)
		rc = lb_err("restore %s: a cache without its tokens", path);
	if(rc == 0 && rec.tokens != NULL)
		rc = import(s, ss, &rec);
	if(rc == 0 && rec.cache != NULL)
		rc = loadcache(ss, &rec, f, size);
	fclose(f);
	free(rec.tokens);
	free(rec.text);
	free(buf);
	if(rc < 0)
		sess_reset(ss);
	return rc;
}

char *
sess_saved_model(StyxSrv *s, const char *name)
{
	char path[PATH_MAX], head[32], model[512], *nl;
	FILE *f;
	int ok;

	if(savepath(s, name, path, sizeof path) < 0 || (f = fopen(path, "r")) == NULL)
		return NULL;
	ok = fgets(head, sizeof head, f) != NULL && strcmp(head, "llambo-session 1\n") == 0
		&& fgets(model, sizeof model, f) != NULL && strncmp(model, "model ", 6) == 0 && (nl = strchr(model, '\n')) != NULL;
	fclose(f);
	if(!ok || nl == model + 6)
		return NULL;
	*nl = 0;
	return strdup(model + 6);
}
