/* The configuration keys both DNS plugins share, read and checked, and
 * the TSIG key they name (loaded once here, for both plugins). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dhcid.h"
#include "engine.h"
#include "keyfile.h"
#include "suffix.h"
#include "verify.h"

#define MACHINE_ID "/etc/machine-id"

/* The next blank-separated word of a list, cut to fit word; 0 at the end,
 * else its full length (so a caller can tell that it was cut). */
static size_t next_word(const char **p, char *word, size_t size)
{
	*p += strspn(*p, " \t");
	size_t n = strcspn(*p, " \t");
	if (n)
		snprintf(word, size, "%.*s", (int)(n < size - 1 ? n : size - 1), *p);
	*p += n;
	return n;
}


static void key_file_warn(const struct nlevd_host *host, struct nlevd_instance *inst,
			  const char *path, const struct stat *st)
{
	char warn[400];
	if (keyfile_mode_check(path, st, geteuid(), warn, sizeof(warn)))
		host->log(inst, NLEVD_LOG_WARNING, "%s", warn);
}

void dns_key_file_check(const struct nlevd_host *host, struct nlevd_instance *inst,
			const char *path)
{
	char err[300];
	struct stat st;
	int fd = path ? keyfile_open(path, &st, err, sizeof(err)) : -1;
	if (fd < 0)
		return; /* the plugin reports it as it reads the key */
	close(fd);
	key_file_warn(host, inst, path, &st);
}

/* Read and check the key; NULL, or the config key at fault with the reason
 * in err.  Shared by create and by SIGHUP (a key file replaced in place). */
static const char *key_load(const char *path, const char *key_name, struct tsig_key *key,
			    char *err, size_t errlen)
{
	int at_name;
	if (keyfile_load(path, key_name, key, err, errlen, &at_name) < 0)
		return at_name ? "key_name" : "key_file";
	if (!tsig_alg_name(key->algorithm, NULL)) {
		snprintf(err, errlen, "%s: algorithm %s is refused%s", path, key->algorithm,
			 !strcmp(key->algorithm, "hmac-md5")
				 ? " (RFC 8945: MUST NOT be used)"
			 : !strcmp(key->algorithm, "hmac-sha384")
				 ? " (ldns 1.8.3 computes it wrongly; use hmac-sha256 or hmac-sha512)"
				 : "");
		explicit_bzero(key, sizeof(*key));
		return "key_file";
	}
	return NULL;
}

/* A Kerberos principal as nlevd-kinit takes it: printable, no blanks, no
 * leading '-' (it is an argument), at most one '@'. */
static bool principal_ok(const char *p)
{
	if (!*p || *p == '-' || strlen(p) > 512 || strchr(p, '@') != strrchr(p, '@'))
		return false;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return false;
	return true;
}

/* auth against the keys it needs: tsig a key file, gss-tsig a keytab that
 * can be read now (a missing one is an error at -t, not a retry loop). */
static int auth_check(const struct nlevd_host *host, struct nlevd_instance *inst,
		      struct dns_config *cfg)
{
	bool gss = cfg->auth == DNS_AUTH_GSS || cfg->auth == DNS_AUTH_MSGSS;
	int rc = 0;
	if (cfg->auth == DNS_AUTH_TSIG && !cfg->key_file) {
		host->cfg_error(inst, "auth", "tsig needs key_file");
		return -EINVAL;
	}
	if (cfg->auth != DNS_AUTH_TSIG && cfg->key_file) {
		host->cfg_error(inst, "key_file", "is for auth = tsig, not %s",
				cfg->auth == DNS_AUTH_NONE ? "none" : "GSS-TSIG");
		rc = -EINVAL;
	}
	if (!gss) {
		if (cfg->principal) {
			host->cfg_error(inst, "principal", "is for auth = gss-tsig or ms-gss-tsig");
			rc = -EINVAL;
		}
		return rc;
	}
#ifndef HAVE_KRB5
	host->cfg_error(inst, "auth", "nlevd was built without Kerberos (configure --with-krb5)");
	return -EINVAL;
#endif
	if (cfg->principal && !principal_ok(cfg->principal)) {
		host->cfg_error(inst, "principal", "'%s' is not a Kerberos principal "
				"(e.g. host/client.example.com@EXAMPLE.COM or CLIENT$@EXAMPLE.COM)",
				cfg->principal);
		rc = -EINVAL;
	}
	if (cfg->keytab[0] != '/') {
		host->cfg_error(inst, "keytab", "'%s' is not an absolute path", cfg->keytab);
		return -EINVAL;
	}
	char err[300];
	struct stat st;
	int fd = keyfile_open(cfg->keytab, &st, err, sizeof(err));
	if (fd < 0) {
		host->cfg_error(inst, "keytab", "%s", err);
		return -EINVAL;
	}
	close(fd);
	key_file_warn(host, inst, cfg->keytab, &st);
	return rc;
}

void dns_config_reload_key(const struct nlevd_host *host, struct nlevd_instance *inst,
			   struct dns_config *cfg)
{
	if (!cfg->has_key)
		return;
	struct tsig_key *k = malloc(sizeof(*k));
	char err[300];
	if (!k)
		return;
	if (key_load(cfg->key_file, cfg->key_name, k, err, sizeof(err))) {
		host->log(inst, NLEVD_LOG_ERR, "%s; keeping the key read before", err);
	} else if (memcmp(k, &cfg->key, sizeof(*k))) {
		cfg->key = *k;
		host->log(inst, NLEVD_LOG_NOTICE, "key %s reloaded from %s", cfg->key.name,
			  cfg->key_file);
	}
	explicit_bzero(k, sizeof(*k));
	free(k);
}

int dns_config_read(const struct nlevd_host *host, struct nlevd_instance *inst,
		    struct dns_config *cfg)
{
	static const char *const empties[] = {"delete", "keep", NULL};
	static const char *const owns[] = {"none", "dhcid", NULL};
	static const char *const auths[] = {"none", "tsig", "gss-tsig", "ms-gss-tsig", NULL};
	const char *names, *zone, *servers, *suffix, *auth;
	uint64_t ttl;
	int on_empty = 0, rc = 0;
	memset(cfg, 0, sizeof(*cfg));
	host->cfg_string(inst, "name", NULL, &names);
	host->cfg_string(inst, "zone", NULL, &zone);
	host->cfg_string(inst, "server", NULL, &servers);
	host->cfg_string(inst, "key_file", NULL, &cfg->key_file);
	host->cfg_string(inst, "key_name", NULL, &cfg->key_name);
	host->cfg_string(inst, "ipv6_suffix", NULL, &suffix);
	host->cfg_string(inst, "auth", NULL, &auth);
	host->cfg_string(inst, "keytab", "/etc/krb5.keytab", &cfg->keytab);
	host->cfg_string(inst, "principal", NULL, &cfg->principal);
	/* The core's `family` key, as it checked it; a daemon without
	 * host->families (before 1.1) has both. */
	unsigned fam = NLEVD_FAMILY_IPV4 | NLEVD_FAMILY_IPV6;
	if (host->size >= offsetof(struct nlevd_host, families) + sizeof(host->families))
		fam = host->families(inst);
	cfg->want4 = (fam & NLEVD_FAMILY_IPV4) != 0;
	cfg->want6 = (fam & NLEVD_FAMILY_IPV6) != 0;
	/* Every key is read, so that each bad one is reported, not the first. */
	if (host->cfg_uint(inst, "ttl", 300, 0, 2147483647, &ttl) < 0)
		rc = -EINVAL;
	if (host->cfg_bool(inst, "ptr", false, &cfg->ptr) < 0)
		rc = -EINVAL;
	if (host->cfg_enum(inst, "on_empty", empties, 0, &on_empty) < 0)
		rc = -EINVAL;
	bool timeout_ok = host->cfg_duration_ms(inst, "timeout", 10000, &cfg->timeout_ms) == 0;
	bool retry_ok = host->cfg_duration_ms(inst, "retry", 5000, &cfg->retry_ms) == 0;
	bool retry_max_ok =
		host->cfg_duration_ms(inst, "retry_max", 600000, &cfg->retry_max_ms) == 0;
	if (host->cfg_bool(inst, "tcp", false, &cfg->tcp) < 0)
		rc = -EINVAL;
	if (host->cfg_duration_ms(inst, "delete_delay", 10000, &cfg->delete_delay_ms) < 0)
		rc = -EINVAL;
	bool verify_ok = host->cfg_duration_ms(inst, "verify", 3600000, &cfg->verify_ms) == 0;
	bool refresh_ok = host->cfg_duration_ms(inst, "refresh", 0, &cfg->refresh_ms) == 0;
	if (!verify_ok || !refresh_ok)
		rc = -EINVAL;
	if (verify_ok && cfg->verify_ms && cfg->verify_ms < 1000) {
		host->cfg_error(inst, "verify", "%llu ms is too often: at least 1s, or 0 for never",
				(unsigned long long)cfg->verify_ms);
		rc = -EINVAL;
	}
	if (refresh_ok && cfg->refresh_ms && cfg->refresh_ms < 1000) {
		host->cfg_error(inst, "refresh", "%llu ms is too often: at least 1s, or 0 for never",
				(unsigned long long)cfg->refresh_ms);
		rc = -EINVAL;
	}
	if (host->cfg_enum(inst, "ownership", owns, DNS_OWN_NONE, &cfg->ownership) < 0)
		rc = -EINVAL;
	if (suffix) {
		if (dns_suffix_parse(suffix, cfg->suffix) < 0) {
			host->cfg_error(inst, "ipv6_suffix", "'%s' is not an IPv6 interface identifier "
					"(an address whose first 64 bits are zero, e.g. "
					"::211:32ff:fe12:3456)", suffix);
			rc = -EINVAL;
		} else if (!cfg->want6) {
			host->cfg_error(inst, "ipv6_suffix", "needs IPv6 in family");
			rc = -EINVAL;
		} else {
			cfg->has_suffix = true;
		}
	}
	if (cfg->ownership == DNS_OWN_DHCID) {
		/* The host's identity: a DUID-UUID from the machine id, so it
		 * survives restarts and reinstalls of nlevd. */
		uint8_t id[16];
		char err[300];
		int n;
		if (dns_machine_id_read(MACHINE_ID, id, err, sizeof(err)) < 0) {
			host->cfg_error(inst, "ownership", "%s", err);
			rc = -EINVAL;
		} else if ((n = dns_duid_uuid(id, cfg->duid, sizeof(cfg->duid))) < 0) {
			rc = -EINVAL;
		} else {
			cfg->duid_len = (size_t)n;
		}
		explicit_bzero(id, sizeof(id));
	}
	if (!timeout_ok || !retry_ok || !retry_max_ok)
		rc = -EINVAL;
	cfg->ttl = (uint32_t)ttl;
	cfg->keep_on_empty = on_empty == 1;
	/* The bounds, only on values that were read (an unreadable one was
	 * reported above and has no value to compare). */
	if (timeout_ok && cfg->timeout_ms < 100) {
		host->cfg_error(inst, "timeout", "%llu ms is too short: at least 100ms",
				(unsigned long long)cfg->timeout_ms);
		rc = -EINVAL;
	}
	if (retry_ok && cfg->retry_ms < 100) {
		host->cfg_error(inst, "retry", "%llu ms is too short: at least 100ms",
				(unsigned long long)cfg->retry_ms);
		rc = -EINVAL;
	} else if (retry_ok && retry_max_ok && cfg->retry_max_ms < cfg->retry_ms) {
		host->cfg_error(inst, "retry_max", "%llu ms is less than retry (%llu ms)",
				(unsigned long long)cfg->retry_max_ms,
				(unsigned long long)cfg->retry_ms);
		rc = -EINVAL;
	}
	char buf[DNS_NAME_MAX];
	if (zone) {
		if (dns_name_normalize(zone, buf, sizeof(buf)) < 0) {
			host->cfg_error(inst, "zone", "'%s' is not a domain name", zone);
			rc = -EINVAL;
		} else if (!(cfg->zone = strdup(buf))) {
			rc = -ENOMEM;
		}
	}
	if (!names) {
		host->cfg_error(inst, NULL, "'name' is required (the owner names to publish)");
		rc = -EINVAL;
	} else {
		const char *p = names;
		char word[DNS_NAME_MAX + 8];
		size_t n;
		while ((n = next_word(&p, word, sizeof(word)))) {
			if (n >= DNS_NAME_MAX || dns_name_normalize(word, buf, sizeof(buf)) < 0) {
				host->cfg_error(inst, "name", "'%s' is not a domain name", word);
				rc = -EINVAL;
				continue;
			}
			if (cfg->zone && !dns_name_under(buf, cfg->zone)) {
				host->cfg_error(inst, "name", "'%s' is not in zone %s", buf, cfg->zone);
				rc = -EINVAL;
				continue;
			}
			char **nv = realloc(cfg->names, (cfg->nnames + 1) * sizeof(*nv));
			if (!nv || !(nv[cfg->nnames] = strdup(buf))) {
				if (nv)
					cfg->names = nv;
				rc = -ENOMEM;
				break;
			}
			cfg->names = nv;
			cfg->nnames++;
		}
	}
	if (servers) {
		const char *p = servers;
		char word[300];
		while (next_word(&p, word, sizeof(word))) {
			struct dns_server sv;
			char name[DNS_NAME_MAX];
			if (dns_server_parse(word, &sv) < 0) {
				host->cfg_error(inst, "server", "'%s' is not host[:port] (IPv6: [addr]:port)",
						word);
				rc = -EINVAL;
				continue;
			}
			if (dns_server_host(sv.host, name, sizeof(name)) < 0) {
				host->cfg_error(inst, "server",
						"'%s' is neither an IP address nor a valid host name", sv.host);
				rc = -EINVAL;
				continue;
			}
			struct dns_server *ns = realloc(cfg->servers, (cfg->nservers + 1) * sizeof(*ns));
			if (!ns) {
				rc = -ENOMEM;
				break;
			}
			cfg->servers = ns;
			cfg->servers[cfg->nservers++] = sv;
		}
	}
	if (cfg->key_file && cfg->key_file[0] != '/') {
		host->cfg_error(inst, "key_file", "'%s' is not an absolute path", cfg->key_file);
		rc = -EINVAL;
	} else if (cfg->key_file) {
		char err[300];
		struct stat st;
		int fd = keyfile_open(cfg->key_file, &st, err, sizeof(err));
		if (fd < 0) {
			host->cfg_error(inst, "key_file", "%s", err);
			rc = -EINVAL;
		} else {
			close(fd);
			key_file_warn(host, inst, cfg->key_file, &st);
			const char *bad = key_load(cfg->key_file, cfg->key_name, &cfg->key, err,
						   sizeof(err));
			if (bad) {
				host->cfg_error(inst, bad, "%s", err);
				rc = -EINVAL;
			} else {
				cfg->has_key = true;
			}
		}
	} else if (cfg->key_name) {
		host->cfg_error(inst, "key_name", "key_name needs key_file");
		rc = -EINVAL;
	}
	cfg->auth = cfg->key_file ? DNS_AUTH_TSIG : DNS_AUTH_NONE;
	if (auth && host->cfg_enum(inst, "auth", auths, cfg->auth, &cfg->auth) < 0)
		rc = -EINVAL;
	else if (auth_check(host, inst, cfg) < 0)
		rc = -EINVAL;
	if (rc < 0)
		dns_config_free(cfg);
	return rc;
}

void dns_config_free(struct dns_config *cfg)
{
	for (size_t i = 0; i < cfg->nnames; i++)
		free(cfg->names[i]);
	free(cfg->names);
	free(cfg->zone);
	free(cfg->servers);
	explicit_bzero(cfg, sizeof(*cfg));
}
