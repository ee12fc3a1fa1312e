/*
 * template.c - llambo template: a JSON array of {"role", "content"} messages
 * rendered in a model's chat format (or a built-in one), byte for byte, for
 * scripts and tests.  Only the file's metadata is read, so a vocabulary-only
 * GGUF of any architecture will do.  JSON is read with Debian's libjansson.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: llambo template [-m MODEL] [--template NAME] -f MESSAGES.json [--no-add-ass]\n"
	"       llambo template --list\n"
	"prints the messages in the model's chat format (tokenizer.chat_template; chatml when it has none)\n"
	"or the built-in format NAME, ending with the assistant's prompt unless --no-add-ass;\n"
	"-f - reads the messages from standard input\n";

/* The messages of a JSON array of objects with string members "role" and "content". */
static llambo_chat_msg *
read_messages(const char *path, json_t **root, int *n)
{
	json_error_t err;
	llambo_chat_msg *m;
	json_t *e, *role, *content;
	size_t i;

	*root = strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &err) : json_load_file(path, 0, &err);
	if(*root == NULL)
		cli_die("%s:%d:%d: %s", path, err.line, err.column, err.text);
	if(!json_is_array(*root))
		cli_die("%s: not a JSON array of messages", path);
	*n = (int)json_array_size(*root);
	m = calloc(*n > 0 ? *n : 1, sizeof *m);
	if(m == NULL || json_array_size(*root) > 1 << 20)
		cli_die("%s: too many messages", path);
	json_array_foreach(*root, i, e){
		role = json_object_get(e, "role");
		content = json_object_get(e, "content");
		if(!json_is_string(role) || !json_is_string(content))
			cli_die("%s: message %zu is not an object with string members \"role\" and \"content\"", path, i);
		m[i].role = json_string_value(role);
		m[i].content = json_string_value(content);
	}
	return m;
}

/* The model file's template; NULL when it has none (chatml then). */
static char *
model_template(const char *path)
{
	char *t;

	if(cli_file_template(path, &t) < 0)
		cli_die("%s: %s", path, llambo_last_error());
	return t;
}

static void
list(void)
{
	const char *names[128];
	int i, n = llambo_chat_builtin_templates(names, 128);

	for(i = 0; i < n && i < 128; i++)
		printf("%s\n", names[i]);
}

int
cmd_template(int argc, char **argv)
{
	Opts o;
	json_t *root;
	llambo_chat_msg *msgs;
	char *own = NULL, *text;
	int n;

	cli_parse(&o, argc, argv, usage);
	if(o.list){
		list();
		return 0;
	}
	if(o.file == NULL){
		fputs(usage, stderr);
		return 2;
	}
	msgs = read_messages(o.file, &root, &n);
	if(o.tmpl != NULL)
		cli_need_builtin(o.tmpl);
	else if(o.model != NULL || (o.model = cli_default_model()) != NULL)
		own = model_template(o.model);	/* the built-in model has no template: chatml */
	text = llambo_chat_apply(o.tmpl != NULL ? o.tmpl : own, msgs, n, !o.no_add_ass);
	if(text == NULL)
		cli_die("%s%s", llambo_last_error(), o.tmpl == NULL ? " (--template NAME chooses one; --list lists them)" : "");
	fwrite(text, 1, strlen(text), stdout);
	llambo_free(text);
	free(own);
	free(msgs);
	json_decref(root);
	return 0;
}
