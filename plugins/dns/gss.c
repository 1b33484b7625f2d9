/* GSS-API security contexts for GSS-TSIG (see gss.h) over MIT krb5. */
#include <dlfcn.h>
#include <errno.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gss.h"

struct gss_sec {
	krb5_context kc;
	krb5_ccache mem; /* the private cache: the service ticket only */
	gss_cred_id_t cred;
	gss_name_t target;
	gss_ctx_id_t ctx;
	time_t expiry;
	char memname[64];
};

/* SPNEGO, as nsupdate -g and Windows clients use: Active Directory and
 * Samba expect it, BIND accepts it. */
static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

/* "what: major / minor text" into err. */
static void gss_err(const char *what, OM_uint32 major, OM_uint32 minor, char *err, size_t len)
{
	char text[400] = "";
	size_t o = 0;
	OM_uint32 ctx = 0, m;
	gss_buffer_desc b;
	int types[2] = {GSS_C_GSS_CODE, GSS_C_MECH_CODE};
	OM_uint32 codes[2] = {major, minor};
	for (int i = 0; i < 2; i++) {
		if (i == 1 && !minor)
			break;
		ctx = 0;
		do {
			if (gss_display_status(&m, codes[i], types[i], GSS_C_NO_OID, &ctx, &b) !=
			    GSS_S_COMPLETE)
				break;
			int n = snprintf(text + o, sizeof(text) - o, "%s%.*s", o ? "; " : "",
					 (int)b.length, (const char *)b.value);
			gss_release_buffer(&m, &b);
			if (n > 0)
				o += (size_t)n < sizeof(text) - o ? (size_t)n : sizeof(text) - o - 1;
		} while (ctx && o < sizeof(text) - 1);
	}
	snprintf(err, len, "%s: %s", what, text[0] ? text : "GSS-API error");
}

static void kerr(krb5_context kc, const char *what, krb5_error_code code, char *err, size_t len)
{
	const char *m = kc ? krb5_get_error_message(kc, code) : NULL;
	snprintf(err, len, "%s: %s", what, m ? m : strerror(code));
	if (m)
		krb5_free_error_message(kc, m);
}

void gss_sec_free(struct gss_sec *g)
{
	OM_uint32 m;
	if (!g)
		return;
	if (g->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&m, &g->ctx, GSS_C_NO_BUFFER);
	if (g->cred != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&m, &g->cred);
	if (g->target != GSS_C_NO_NAME)
		gss_release_name(&m, &g->target);
	if (g->mem)
		krb5_cc_destroy(g->kc, g->mem);
	if (g->kc)
		krb5_free_context(g->kc);
	free(g);
}

/* Copy the ticket for service from the cache at ccache into g->mem. */
static int copy_ticket(struct gss_sec *g, const char *ccache, const char *client,
		       const char *service, char *err, size_t len)
{
	krb5_ccache src = NULL;
	krb5_principal cp = NULL, sp = NULL;
	krb5_cc_cursor cur;
	krb5_creds c;
	krb5_error_code code;
	int rc = -1;
	bool found = false;
	if ((code = krb5_parse_name(g->kc, client, &cp))) {
		kerr(g->kc, client, code, err, len);
		goto out;
	}
	if ((code = krb5_parse_name(g->kc, service, &sp))) {
		kerr(g->kc, service, code, err, len);
		goto out;
	}
	if ((code = krb5_cc_resolve(g->kc, ccache, &src))) {
		kerr(g->kc, ccache, code, err, len);
		goto out;
	}
	snprintf(g->memname, sizeof(g->memname), "MEMORY:nlevd-gss-%p", (void *)g);
	if ((code = krb5_cc_resolve(g->kc, g->memname, &g->mem)) ||
	    (code = krb5_cc_initialize(g->kc, g->mem, cp))) {
		kerr(g->kc, "a memory credential cache", code, err, len);
		goto out;
	}
	if ((code = krb5_cc_start_seq_get(g->kc, src, &cur))) {
		kerr(g->kc, ccache, code, err, len);
		goto out;
	}
	krb5_timestamp now = (krb5_timestamp)time(NULL);
	while (!found && !krb5_cc_next_cred(g->kc, src, &cur, &c)) {
		if (krb5_principal_compare(g->kc, c.server, sp) &&
		    krb5_principal_compare(g->kc, c.client, cp) && c.times.endtime > now) {
			code = krb5_cc_store_cred(g->kc, g->mem, &c);
			if (code)
				kerr(g->kc, "storing the ticket", code, err, len);
			else
				found = true;
			g->expiry = (time_t)(uint32_t)c.times.endtime;
		}
		krb5_free_cred_contents(g->kc, &c);
	}
	krb5_cc_end_seq_get(g->kc, src, &cur);
	if (!found && !code)
		snprintf(err, len, "no valid ticket for %s in %s", service, ccache);
	rc = found ? 0 : -1;
out:
	if (src)
		krb5_cc_close(g->kc, src);
	krb5_free_principal(g->kc, cp);
	krb5_free_principal(g->kc, sp);
	return rc;
}

/* MIT's libraries keep global state (the mechanism list, error tables,
 * thread keys) that they free only when the process exits: unloading them
 * with the plugin, at a reload or at exit, loses it (LeakSanitizer sees
 * it), and they are not made to be loaded twice.  Once used, they stay. */
static void pin_libraries(void)
{
	static const char *const libs[] = {"libgssapi_krb5.so.2", "libkrb5.so.3",
					   "libk5crypto.so.3", "libkrb5support.so.0",
					   "libcom_err.so.2"};
	static bool pinned;
	if (pinned)
		return;
	pinned = true;
	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		dlopen(libs[i], RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

int gss_sec_new(const char *ccache, const char *client, const char *service, struct gss_sec **out,
		char *err, size_t errlen)
{
	pin_libraries();
	struct gss_sec *g = calloc(1, sizeof(*g));
	OM_uint32 major, minor;
	krb5_error_code code;
	*out = NULL;
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->cred = GSS_C_NO_CREDENTIAL;
	g->target = GSS_C_NO_NAME;
	g->ctx = GSS_C_NO_CONTEXT;
	if ((code = krb5_init_context(&g->kc))) {
		kerr(NULL, "Kerberos", code, err, errlen);
		gss_sec_free(g);
		return -1;
	}
	if (copy_ticket(g, ccache, client, service, err, errlen) < 0) {
		gss_sec_free(g);
		return -1;
	}
	gss_buffer_desc cn = {strlen(client), (void *)client};
	gss_buffer_desc sn = {strlen(service), (void *)service};
	gss_name_t cname = GSS_C_NO_NAME;
	major = gss_import_name(&minor, &cn, GSS_KRB5_NT_PRINCIPAL_NAME, &cname);
	if (GSS_ERROR(major)) {
		gss_err(client, major, minor, err, errlen);
		gss_sec_free(g);
		return -1;
	}
	major = gss_import_name(&minor, &sn, GSS_KRB5_NT_PRINCIPAL_NAME, &g->target);
	if (GSS_ERROR(major)) {
		gss_err(service, major, minor, err, errlen);
		gss_release_name(&minor, &cname);
		gss_sec_free(g);
		return -1;
	}
	gss_key_value_element_desc el = {"ccache", g->memname};
	gss_key_value_set_desc store = {1, &el};
	gss_OID_set_desc mechs = {1, &spnego_oid};
	major = gss_acquire_cred_from(&minor, cname, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
				      &store, &g->cred, NULL, NULL);
	gss_release_name(&minor, &cname);
	if (GSS_ERROR(major)) {
		gss_err("credentials", major, minor, err, errlen);
		gss_sec_free(g);
		return -1;
	}
	*out = g;
	return 0;
}

int gss_sec_step(struct gss_sec *g, const uint8_t *in, size_t inlen, uint8_t **out,
		 size_t *outlen, char *err, size_t errlen)
{
	OM_uint32 major, minor, flags = 0, rec_time = 0;
	gss_buffer_desc ib = {inlen, (void *)in}, ob = {0, NULL};
	*out = NULL;
	*outlen = 0;
	major = gss_init_sec_context(&minor, g->cred, &g->ctx, g->target, &spnego_oid,
				     GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_INTEG_FLAG, 0,
				     GSS_C_NO_CHANNEL_BINDINGS, in ? &ib : GSS_C_NO_BUFFER, NULL,
				     &ob, &flags, &rec_time);
	if (ob.length) {
		*out = malloc(ob.length);
		if (*out) {
			memcpy(*out, ob.value, ob.length);
			*outlen = ob.length;
		}
	}
	gss_release_buffer(&minor, &ob);
	if (GSS_ERROR(major)) {
		free(*out);
		*out = NULL;
		gss_err("GSS-API negotiation", major, minor, err, errlen);
		return -1;
	}
	if (ob.length && !*out) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (major & GSS_S_CONTINUE_NEEDED)
		return 1;
	if (!(flags & GSS_C_MUTUAL_FLAG) || !(flags & GSS_C_INTEG_FLAG)) {
		free(*out);
		*out = NULL;
		snprintf(err, errlen, "the server was not authenticated (no mutual authentication)");
		return -1;
	}
	if (rec_time && rec_time != GSS_C_INDEFINITE)
		g->expiry = time(NULL) + (time_t)rec_time;
	return 0;
}

int gss_sec_mic(void *ctx, const uint8_t *data, size_t len, uint8_t *mac, size_t cap,
		size_t *maclen)
{
	struct gss_sec *g = ctx;
	OM_uint32 major, minor;
	gss_buffer_desc ib = {len, (void *)data}, ob = {0, NULL};
	major = gss_get_mic(&minor, g->ctx, GSS_C_QOP_DEFAULT, &ib, &ob);
	if (GSS_ERROR(major))
		return -EKEYEXPIRED;
	int rc = 0;
	if (ob.length > cap)
		rc = -EMSGSIZE;
	else
		memcpy(mac, ob.value, ob.length);
	*maclen = ob.length;
	gss_release_buffer(&minor, &ob);
	return rc;
}

bool gss_sec_verify(void *ctx, const uint8_t *data, size_t len, const uint8_t *mac,
		    size_t maclen)
{
	struct gss_sec *g = ctx;
	OM_uint32 minor;
	gss_buffer_desc ib = {len, (void *)data}, mb = {maclen, (void *)mac};
	if (g->ctx == GSS_C_NO_CONTEXT)
		return false;
	/* A gap in the server's sequence numbers is no attack (a response we
	 * did not check, one lost); a replayed MIC is. */
	OM_uint32 major = gss_verify_mic(&minor, g->ctx, &ib, &mb, NULL);
	return !GSS_ERROR(major) && !(major & GSS_S_DUPLICATE_TOKEN);
}

time_t gss_sec_expiry(const struct gss_sec *g)
{
	return g->expiry;
}
