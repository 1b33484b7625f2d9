/* What an nsupdate run's exit status and messages mean, as a result for the
 * engine (the nsupdate plugin only: it exits 2 both for BADSIG and for a
 * refused connection, and only its messages tell), GSS-TSIG's Kerberos
 * messages (-g, -o) included. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "nsuclass.h"

/* The line of output holding needle, copied to detail. */
static bool find_line(const char *out, const char *needle, char *detail, size_t len)
{
	const char *p = strstr(out, needle);
	if (!p)
		return false;
	while (p > out && p[-1] != '\n')
		p--;
	size_t n = strcspn(p, "\n");
	/* nsupdate starts some messages with "; " */
	while (n && (*p == ';' || *p == ' ')) {
		p++;
		n--;
	}
	snprintf(detail, len, "%.*s", (int)n, p);
	return true;
}

/* nsupdate -g/-o prints the GSS-API and Kerberos failure of the TKEY
 * negotiation as "tkey query failed: GSSAPI error: Major = ..., Minor =
 * <the krb5 message>." */
static const char *const gss_permanent[] = {
	"not found in Kerberos database", "Key table entry not found",
	"No key table entry found", "Client's credentials have been revoked",
	"KDC policy rejects request", "Preauthentication failed",
	"Decrypt integrity check failed", "TKEY is unacceptable"};
static const char *const gss_transient[] = {
	"Cannot contact any KDC", "Cannot resolve network address for KDC",
	"Ticket expired", "No credentials were supplied", "No Kerberos credentials available",
	"No credentials cache found", "Credentials cache file", "GSSAPI error", "tkey query failed"};

/* The GSS line made short, its Kerberos text (the part that names the
 * principal and the server) kept: "GSS-TSIG negotiation failed: MAJOR;
 * MINOR", without the words that say nothing. */
static bool find_gss(const char *out, const char *needle, char *detail, size_t len)
{
	char line[1024], *p;
	if (!find_line(out, needle, line, sizeof(line)))
		return false;
	const char *major = strstr(line, "Major = ");
	if (!major) {
		snprintf(detail, len, "%s", line);
		return true;
	}
	major += strlen("Major = ");
	static const char *const noise[] = {
		"Unspecified GSS failure.  Minor code may provide more information, Minor = ",
		"Unspecified GSS failure.  Minor code may provide more information"};
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		if ((p = strstr(line, noise[i])))
			memmove(p, p + strlen(noise[i]), strlen(p + strlen(noise[i])) + 1);
	if ((p = strstr(line, ", Minor = "))) {
		memcpy(p, "; ", 2);
		memmove(p + 2, p + strlen(", Minor = "), strlen(p + strlen(", Minor = ")) + 1);
	}
	snprintf(detail, len, "GSS-TSIG negotiation failed: %s", major);
	return true;
}

bool nsu_gss_failure(const char *out)
{
	return strstr(out, "GSSAPI") || strstr(out, "Kerberos") || strstr(out, "KDC") ||
	       strstr(out, "Clock skew") || strstr(out, "tkey query failed") ||
	       strstr(out, "credentials") || strstr(out, "Ticket expired");
}

enum dns_result nsu_classify(int status, bool timed_out, const char *out, char *detail,
			     size_t len)
{
	static const char *const transient[] = {
		"timed out", "connection refused", "network unreachable", "host unreachable",
		"could not reach any name server", "Communication with", "couldn't get address",
		"address not available", "operation canceled", "SERVFAIL"};
	/* "ran out of space": the records of one name exceed a DNS message */
	static const char *const permanent[] = {"TSIG error", "could not read key",
						"invalid key", "syntax error", "ran out of space"};
	if (timed_out) {
		snprintf(detail, len, "nsupdate timed out");
		return DNS_TRANSIENT;
	}
	if (WIFSIGNALED(status)) {
		snprintf(detail, len, "nsupdate killed by signal %d", WTERMSIG(status));
		return DNS_TRANSIENT;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		snprintf(detail, len, "ok");
		return DNS_OK;
	}
	/* Kerberos: the clock first (it is not the credentials' fault), and
	 * it is said as such: both Kerberos and TSIG need sane clocks. */
	char line[256];
	if (find_gss(out, "Clock skew too great", line, sizeof(line))) {
		snprintf(detail, len, "clock skew: %s", line);
		return DNS_TRANSIENT;
	}
	for (size_t i = 0; i < sizeof(gss_permanent) / sizeof(gss_permanent[0]); i++)
		if (find_gss(out, gss_permanent[i], detail, len))
			return DNS_PERMANENT;
	for (size_t i = 0; i < sizeof(gss_transient) / sizeof(gss_transient[0]); i++)
		if (find_gss(out, gss_transient[i], detail, len))
			return DNS_TRANSIENT;
	/* "update failed: NOTAUTH(BADSIG)": the RCODE, or the TSIG error. */
	const char *u = strstr(out, "update failed: ");
	if (u) {
		char rcode[32] = "", tsig[32] = "";
		u += strlen("update failed: ");
		size_t n = 0;
		while (isalnum((unsigned char)u[n]) && n < sizeof(rcode) - 1) {
			rcode[n] = u[n];
			n++;
		}
		rcode[n] = 0;
		if (u[n] == '(') {
			size_t k = 0;
			while (isalnum((unsigned char)u[n + 1 + k]) && k < sizeof(tsig) - 1) {
				tsig[k] = u[n + 1 + k];
				k++;
			}
			tsig[k] = 0;
		}
		snprintf(detail, len, "%s%s%s%s", rcode, tsig[0] ? " (" : "", tsig, tsig[0] ? ")" : "");
		enum dns_result r = dns_rcode_class(tsig[0] ? tsig : rcode);
		if (r == DNS_OK) /* "update failed: NOERROR"? should not be */
			r = DNS_TRANSIENT;
		return r;
	}
	/* The answer's signature does not verify (forged, or Samba's MIC,
	 * which leaves out the request MAC's length): nothing is known, so
	 * neither a success nor a refusal; the engine reads the records back
	 * at once, and they tell. */
	if (find_line(out, "tsig verify failure", line, sizeof(line))) {
		snprintf(detail, len, "%s (the answer is unverified)", line);
		return DNS_UNVERIFIED;
	}
	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (find_line(out, permanent[i], detail, len))
			return DNS_PERMANENT;
	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		if (find_line(out, transient[i], detail, len))
			return DNS_TRANSIENT;
	/* Unknown: say what it printed last, and try again later. */
	const char *last = out + strlen(out);
	while (last > out && last[-1] == '\n')
		last--;
	const char *start = last;
	while (start > out && start[-1] != '\n')
		start--;
	snprintf(detail, len, "nsupdate exited with status %d%s%.*s",
		 WIFEXITED(status) ? WEXITSTATUS(status) : -1, start < last ? ": " : "",
		 (int)(last - start), start);
	return DNS_TRANSIENT;
}
