/* nlevd-kinit: Kerberos tickets from a keytab into a private cache, off the daemon's loop, one result line on stdout. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <krb5.h>

#define MAX_SERVICES 64

static krb5_context ctx;

/* One line, however the library's message is made: no newline or control
 * character may split the protocol line. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static void result_error(const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
static void result_error(const char *kind, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clean(msg);
	printf("error %s %s\n", kind, msg);
	fflush(stdout);
	exit(1);
}

/* The library's text for code (a copy, cleaned). */
static const char *krb_msg(krb5_error_code code, char *buf, size_t len)
{
	const char *m = ctx ? krb5_get_error_message(ctx, code) : NULL;
	snprintf(buf, len, "%s", m ? m : strerror(code));
	if (m)
		krb5_free_error_message(ctx, m);
	clean(buf);
	return buf;
}

/* What a failure means for the daemon: try again later (transient), not
 * until the admin acts (permanent), or fix the clock (skew). */
static const char *kind_of(krb5_error_code code)
{
	switch (code) {
	case KRB5KRB_AP_ERR_SKEW: /* the KDC finds our clock off */
	case KRB5_KDCREP_SKEW:    /* we find the KDC's reply's time off */
		return "skew";
	case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
	case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
	case KRB5KDC_ERR_PREAUTH_FAILED:
	case KRB5KRB_AP_ERR_BAD_INTEGRITY:
	case KRB5KDC_ERR_CLIENT_REVOKED:
	case KRB5KDC_ERR_SERVICE_REVOKED:
	case KRB5KDC_ERR_POLICY:
	case KRB5KDC_ERR_KEY_EXP:
	case KRB5KDC_ERR_NAME_EXP:
	case KRB5KDC_ERR_SERVICE_EXP:
	case KRB5KDC_ERR_ETYPE_NOSUPP:
	case KRB5KDC_ERR_BADOPTION:
	case KRB5KDC_ERR_MUST_USE_USER2USER:
	case KRB5KDC_ERR_SERVICE_NOTYET:
	case KRB5KDC_ERR_CLIENT_NOTYET:
	case KRB5_KT_NOTFOUND:
	case KRB5_KT_KVNONOTFOUND:
	case KRB5_PREAUTH_FAILED:
	case KRB5_REALM_UNKNOWN:
	case KRB5_CONFIG_NODEFREALM:
	case KRB5_PARSE_MALFORMED:
	case ENOENT:
	case EACCES:
		return "permanent";
	default: /* KRB5_KDC_UNREACH, timeouts, and anything not known */
		return "transient";
	}
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr, "usage: nlevd-kinit -k KEYTAB [-p PRINCIPAL] -c CCACHE_PATH "
		"[-s SERVICE]...\n");
	result_error("permanent", "nlevd-kinit: bad arguments");
}

/* A principal's text form, for the messages and the result line. */
static char *unparse(krb5_principal p)
{
	char *s = NULL;
	if (krb5_unparse_name(ctx, p, &s))
		return strdup("?");
	return s;
}

/* No -p: the keytab's machine account (NAME$@REALM, as Active Directory and
 * Samba know a member), else its first host/ principal. */
static krb5_principal pick_principal(krb5_keytab kt, const char *ktpath)
{
	krb5_kt_cursor cur;
	krb5_keytab_entry ent;
	krb5_principal machine = NULL, hostp = NULL;
	char m[512];
	krb5_error_code rc = krb5_kt_start_seq_get(ctx, kt, &cur);
	if (rc)
		result_error(kind_of(rc), "cannot read keytab %s: %s", ktpath,
			     krb_msg(rc, m, sizeof(m)));
	while (!machine && !(rc = krb5_kt_next_entry(ctx, kt, &ent, &cur))) {
		krb5_principal p = ent.principal;
		int n = krb5_princ_size(ctx, p);
		if (n == 1) {
			const krb5_data *d = krb5_princ_component(ctx, p, 0);
			if (d->length > 1 && d->data[d->length - 1] == '$')
				krb5_copy_principal(ctx, p, &machine);
		} else if (n == 2 && !hostp) {
			const krb5_data *d = krb5_princ_component(ctx, p, 0);
			if (d->length == 4 && !memcmp(d->data, "host", 4))
				krb5_copy_principal(ctx, p, &hostp);
		}
		krb5_free_keytab_entry_contents(ctx, &ent);
	}
	krb5_kt_end_seq_get(ctx, kt, &cur);
	if (rc && rc != KRB5_KT_END)
		result_error(kind_of(rc), "cannot read keytab %s: %s", ktpath,
			     krb_msg(rc, m, sizeof(m)));
	if (machine) {
		if (hostp)
			krb5_free_principal(ctx, hostp);
		return machine;
	}
	if (hostp)
		return hostp;
	result_error("permanent", "keytab %s holds no machine account (NAME$@REALM) and no host/ "
		     "principal: set principal", ktpath);
}

int main(int argc, char **argv)
{
	const char *ktpath = NULL, *pname = NULL, *ccpath = NULL;
	const char *services[MAX_SERVICES];
	size_t nservices = 0;
	int opt;
	char m[512];
	while ((opt = getopt(argc, argv, "k:p:c:s:")) != -1) {
		switch (opt) {
		case 'k':
			ktpath = optarg;
			break;
		case 'p':
			pname = optarg;
			break;
		case 'c':
			ccpath = optarg;
			break;
		case 's':
			if (nservices == MAX_SERVICES)
				result_error("permanent", "nlevd-kinit: more than %d services",
					     MAX_SERVICES);
			services[nservices++] = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !ktpath || !ccpath || ktpath[0] != '/' || ccpath[0] != '/')
		usage();
	if (strlen(ccpath) > PATH_MAX - 32 || strlen(ktpath) > PATH_MAX - 32)
		result_error("permanent", "nlevd-kinit: path too long");
	umask(077);

	krb5_error_code rc = krb5_init_context(&ctx);
	if (rc) {
		ctx = NULL;
		result_error(kind_of(rc), "cannot start Kerberos (krb5.conf?): %s",
			     krb_msg(rc, m, sizeof(m)));
	}
	char ktname[PATH_MAX + 8];
	snprintf(ktname, sizeof(ktname), "FILE:%s", ktpath);
	if (access(ktpath, R_OK) < 0) {
		int e = errno;
		result_error("permanent", "cannot read keytab %s: %s", ktpath, strerror(e));
	}
	krb5_keytab kt;
	if ((rc = krb5_kt_resolve(ctx, ktname, &kt)))
		result_error(kind_of(rc), "keytab %s: %s", ktpath, krb_msg(rc, m, sizeof(m)));

	krb5_principal client;
	if (pname) {
		if ((rc = krb5_parse_name(ctx, pname, &client)))
			result_error("permanent", "principal %s: %s", pname,
				     krb_msg(rc, m, sizeof(m)));
	} else {
		client = pick_principal(kt, ktpath);
	}
	char *cname = unparse(client);
	/* The keytab must hold it: a clear permanent error naming both,
	 * rather than whatever the KDC exchange would make of it. */
	krb5_keytab_entry ent;
	rc = krb5_kt_get_entry(ctx, kt, client, 0, 0, &ent);
	if (rc)
		result_error(kind_of(rc), "principal %s is not in keytab %s: %s", cname, ktpath,
			     krb_msg(rc, m, sizeof(m)));
	krb5_free_keytab_entry_contents(ctx, &ent);

	krb5_get_init_creds_opt *gopt;
	if ((rc = krb5_get_init_creds_opt_alloc(ctx, &gopt)))
		result_error("transient", "%s", krb_msg(rc, m, sizeof(m)));
	krb5_creds tgt;
	memset(&tgt, 0, sizeof(tgt));
	rc = krb5_get_init_creds_keytab(ctx, &tgt, client, kt, 0, NULL, gopt);
	krb5_get_init_creds_opt_free(ctx, gopt);
	const krb5_data *realm = krb5_princ_realm(ctx, client);
	if (rc)
		result_error(kind_of(rc), "cannot get a ticket for %s (realm %.*s) from keytab %s: %s",
			     cname, (int)realm->length, realm->data, ktpath,
			     krb_msg(rc, m, sizeof(m)));
	krb5_timestamp endtime = tgt.times.endtime;

	/* Everything goes to a new file in the cache's directory, renamed over
	 * the cache at the end: a reader (nsupdate, the daemon) sees the old
	 * cache or the complete new one, never half of it. */
	char tmp[PATH_MAX];
	const char *slash = strrchr(ccpath, '/');
	snprintf(tmp, sizeof(tmp), "%.*s/.nlevd-kinit.XXXXXX", (int)(slash - ccpath), ccpath);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		result_error("transient", "cannot create a cache next to %s: %s", ccpath,
			     strerror(e));
	}
	close(fd);
	char tmpname[PATH_MAX + 8];
	snprintf(tmpname, sizeof(tmpname), "FILE:%s", tmp);
	krb5_ccache cc;
	if ((rc = krb5_cc_resolve(ctx, tmpname, &cc)) || (rc = krb5_cc_initialize(ctx, cc, client)) ||
	    (rc = krb5_cc_store_cred(ctx, cc, &tgt))) {
		unlink(tmp);
		result_error("transient", "cannot write cache %s: %s", tmp, krb_msg(rc, m, sizeof(m)));
	}
	for (size_t i = 0; i < nservices; i++) {
		krb5_principal sp;
		if (strchr(services[i], '@')) {
			rc = krb5_parse_name(ctx, services[i], &sp);
		} else {
			rc = krb5_parse_name_flags(ctx, services[i], KRB5_PRINCIPAL_PARSE_NO_REALM, &sp);
			if (!rc)
				rc = krb5_set_principal_realm(ctx, sp, realm->length ? realm->data : "");
		}
		if (rc) {
			unlink(tmp);
			result_error("permanent", "service %s: %s", services[i],
				     krb_msg(rc, m, sizeof(m)));
		}
		char *sname = unparse(sp);
		krb5_creds in, *out = NULL;
		memset(&in, 0, sizeof(in));
		in.client = client;
		in.server = sp;
		rc = krb5_get_credentials(ctx, 0, cc, &in, &out);
		if (rc) {
			unlink(tmp);
			result_error(kind_of(rc), "cannot get a ticket for service %s as %s: %s", sname,
				     cname, krb_msg(rc, m, sizeof(m)));
		}
		if (out->times.endtime < endtime)
			endtime = out->times.endtime;
		krb5_free_creds(ctx, out);
		krb5_free_unparsed_name(ctx, sname);
		krb5_free_principal(ctx, sp);
	}
	krb5_cc_close(ctx, cc);
	if (chmod(tmp, 0600) < 0 || rename(tmp, ccpath) < 0) {
		int e = errno;
		unlink(tmp);
		result_error("transient", "cannot install cache %s: %s", ccpath, strerror(e));
	}
	printf("ok %s %lld\n", cname, (long long)(uint32_t)endtime);
	fflush(stdout);
	krb5_free_cred_contents(ctx, &tgt);
	krb5_free_unparsed_name(ctx, cname);
	krb5_free_principal(ctx, client);
	krb5_kt_close(ctx, kt);
	krb5_free_context(ctx);
	return 0;
}
