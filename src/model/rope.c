/* rope.c - rotary position embeddings; see rope.h.  The arithmetic is ggml's (ops.cpp, rope_yarn), in float. */
#include <math.h>

#include "rope.h"

enum { MAX_ROT = 1024 };	/* head sizes above are refused at load */

/* YaRN's beta_fast and beta_slow: llama.cpp's defaults, which it reads from no file of these families */
static const float BETA_FAST = 32.0f, BETA_SLOW = 1.0f;

static float
corr_dim(int n_rot, int n_ctx_orig, float beta, float base)
{
	return n_rot * logf(n_ctx_orig / (beta * 2 * (float)M_PI)) / (2 * logf(base));
}

void
rope_init(Rope *r, int kind, int n_rot, float base, float freq_scale, const RopeScaling *s, const float *factors)
{
	r->kind = kind;
	r->n_rot = n_rot;
	r->base = base;
	r->freq_scale = freq_scale;
	r->factors = factors;
	r->ext_factor = s->type == SCALING_YARN ? 1.0f : 0.0f;
	r->attn_factor = 1.0f;
	if(r->ext_factor != 0){
		/* llama_context: YaRN's magnitude factor, cancelled because rope_yarn applies it again */
		float factor = 1.0f / freq_scale;
		r->attn_factor = factor <= 1.0f ? 1.0f : 0.1f * logf(factor) + 1.0f;
		r->attn_factor *= 1.0f / (1.0f + 0.1f * logf(factor));
	}
	r->attn_factor *= s->attn_factor;
	r->corr[0] = floorf(corr_dim(n_rot, s->n_ctx_orig, BETA_FAST, base));
	r->corr[1] = ceilf(corr_dim(n_rot, s->n_ctx_orig, BETA_SLOW, base));
	if(r->corr[0] < 0)
		r->corr[0] = 0;
	if(r->corr[1] > n_rot - 1)
		r->corr[1] = n_rot - 1;
}

static float
yarn_ramp(float low, float high, int i0)
{
	float y = (i0 / 2 - low) / fmaxf(0.001f, high - low);

	return 1 - fminf(1, fmaxf(0, y));
}

/* cos and sin of each pair's angle at pos, scaled as YaRN says */
static void
angles(const Rope *r, int pos, float *cs)
{
	float theta_scale = powf(r->base, -2.0f / r->n_rot), theta = (float)pos;
	int i;

	for(i = 0; i < r->n_rot; i += 2){
		float ff = r->factors ? r->factors[i / 2] : 1.0f;
		float extrap = theta / ff, t = r->freq_scale * extrap, mscale = r->attn_factor;
		if(r->ext_factor != 0){
			float mix = yarn_ramp(r->corr[0], r->corr[1], i) * r->ext_factor;
			t = t * (1 - mix) + extrap * mix;
			mscale *= 1.0f + 0.1f * logf(1.0f / r->freq_scale);
		}
		cs[i] = cosf(t) * mscale;
		cs[i + 1] = sinf(t) * mscale;
		theta *= theta_scale;
	}
}

void
rope_apply(const Rope *r, float *x, int nh, int hd, int pos)
{
	float cs[MAX_ROT];
	int half = r->n_rot / 2, i, h;

	if(r->kind == ROPE_NONE)
		return;
	angles(r, pos, cs);
	for(h = 0; h < nh; h++){
		float *v = x + (long)h * hd;
		for(i = 0; i < r->n_rot; i += 2){
			/* normal: the pair (i, i+1); NeoX: (i/2, i/2 + n_rot/2) */
			float *a = r->kind == ROPE_NEOX ? v + i / 2 : v + i;
			float *b = r->kind == ROPE_NEOX ? a + half : a + 1;
			float x0 = *a, x1 = *b;
			*a = x0 * cs[i] - x1 * cs[i + 1];
			*b = x0 * cs[i + 1] + x1 * cs[i];
		}
	}
}
