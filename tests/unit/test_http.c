/* The http plugin's pure parts: dyndns2's query and answers, webhook
 * statuses, header lines and files, and delete_delay's hold. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../plugins/dns/aset.h"
#include "../../plugins/http/hdrs.h"
#include "../../plugins/http/proto.h"
#include "tap.h"

static enum http_class dd(long status, const char *body, char *word, size_t wlen)
{
	return dyndns2_classify(status, body, strlen(body), word, wlen);
}

static void test_query(void)
{
	char q[256];
	const char *hosts[] = {"a.example.org", "b.example.org"};
	int n = dyndns2_query(hosts, 2, "192.0.2.1", "2001:db8::1", q, sizeof(q));
	is_str(q, "hostname=a.example.org,b.example.org&myip=192.0.2.1&myipv6=2001:db8::1",
	       "both families and both names in one request");
	is_int(n, (int)strlen(q), "the length returned");
	dyndns2_query(hosts, 1, NULL, "preserve", q, sizeof(q));
	is_str(q, "hostname=a.example.org&myipv6=preserve", "IPv4 left out, IPv6 preserved");
	dyndns2_query(hosts, 1, "192.0.2.1", NULL, q, sizeof(q));
	is_str(q, "hostname=a.example.org&myip=192.0.2.1", "IPv6 left out");
	const char *odd[] = {"a b&c=d%"};
	dyndns2_query(odd, 1, NULL, NULL, q, sizeof(q));
	is_str(q, "hostname=a%20b%26c%3Dd%25", "everything but unreserved is encoded");
	is_int(dyndns2_query(hosts, 2, "192.0.2.1", NULL, q, 20), -1, "too small: -1");
	is_int(dyndns2_query(hosts, 1, NULL, NULL, q, 22), -1, "one byte short for the NUL: -1");
	is_int(dyndns2_query(hosts, 1, NULL, NULL, q, 23), 22, "exactly enough");
}

static void test_answers(void)
{
	char w[DYNDNS2_WORD_MAX];
	is_int(dd(200, "good 192.0.2.1", w, sizeof(w)), HTTP_OK, "good");
	is_str(w, "good", "the word");
	is_int(dd(200, "nochg 192.0.2.1\n", w, sizeof(w)), HTTP_OK, "nochg");
	static const char *const perm[] = {"badauth", "!donator", "notfqdn", "nohost", "numhost",
					   "abuse", "badagent", "!yours"};
	for (size_t i = 0; i < sizeof(perm) / sizeof(perm[0]); i++) {
		is_int(dd(200, perm[i], w, sizeof(w)), HTTP_PERMANENT, "%s is permanent", perm[i]);
		is_str(w, perm[i], "%s: the word", perm[i]);
	}
	is_int(dd(200, "911", w, sizeof(w)), HTTP_SLOW, "911: at least 5 minutes");
	is_int(dd(200, "dnserr\n", w, sizeof(w)), HTTP_SLOW, "dnserr: at least 5 minutes");
	is_int(dd(500, "911", w, sizeof(w)), HTTP_SLOW, "911 with a 5xx status: still 5 minutes");
	is_int(dd(503, "", w, sizeof(w)), HTTP_TRANSIENT, "503, no body: transient");
	is_str(w, "HTTP 503", "the word names the status");
	is_int(dd(500, "good", w, sizeof(w)), HTTP_TRANSIENT, "good with a 500 is not a success");
	is_int(dd(200, "good 1.2.3.4\r\nnohost\r\n", w, sizeof(w)), HTTP_PERMANENT,
	       "the worst line decides");
	is_str(w, "nohost", "and names it");
	is_int(dd(200, "good\n911\n", w, sizeof(w)), HTTP_SLOW, "good and 911: 911");
	is_int(dd(200, "", w, sizeof(w)), HTTP_TRANSIENT, "an empty answer: transient");
	is_str(w, "an empty answer", "said so");
	is_int(dd(200, "<html>hello", w, sizeof(w)), HTTP_TRANSIENT, "nonsense: transient");
	is_int(dd(401, "", w, sizeof(w)), HTTP_PERMANENT, "HTTP 401: badauth");
	like(w, "badauth", "said as badauth");
	is_int(dd(403, "", w, sizeof(w)), HTTP_PERMANENT, "HTTP 403: permanent");
	is_int(dd(429, "", w, sizeof(w)), HTTP_SLOW, "HTTP 429: slow down");
	is_int(dd(404, "good", w, sizeof(w)), HTTP_PERMANENT, "HTTP 404: the url is wrong");
	is_int(dd(301, "", w, sizeof(w)), HTTP_PERMANENT, "a redirect is not followed");
	is_int(dd(200, "goodness", w, sizeof(w)), HTTP_TRANSIENT, "a word that starts like good");
	is_int(dd(200, "\x01\x02\xff", w, sizeof(w)), HTTP_TRANSIENT, "binary: transient");
	is_str(w, "???", "made printable");
	char small[5];
	dd(200, "badauth", small, sizeof(small));
	is_str(small, "bada", "cut to fit");
	is_int(dyndns2_classify(200, "good\0nohost", 11, w, sizeof(w)), HTTP_TRANSIENT,
	       "a NUL byte inside a word makes it unknown, not good");
	is_str(w, "good?nohost", "the whole word, made printable");

	is_int(webhook_classify(200, w, sizeof(w)), HTTP_OK, "webhook 200");
	is_int(webhook_classify(204, w, sizeof(w)), HTTP_OK, "webhook 204");
	is_int(webhook_classify(500, w, sizeof(w)), HTTP_TRANSIENT, "webhook 500: retried");
	is_int(webhook_classify(429, w, sizeof(w)), HTTP_TRANSIENT, "webhook 429: retried");
	is_int(webhook_classify(408, w, sizeof(w)), HTTP_TRANSIENT, "webhook 408: retried");
	is_int(webhook_classify(404, w, sizeof(w)), HTTP_PERMANENT, "webhook 404: not retried");
	is_str(w, "HTTP 404", "named");
	is_int(webhook_classify(302, w, sizeof(w)), HTTP_PERMANENT, "webhook 302: permanent");
}

static void test_headers(void)
{
	char out[128], err[200];
	is_int(hdr_check("X-Token:  abc def  ", 19, out, sizeof(out), err, sizeof(err)), 0,
	       "a header line");
	is_str(out, "X-Token: abc def", "normalised");
	is_int(hdr_check("X-Token: a\rb", 12, out, sizeof(out), err, sizeof(err)), -1,
	       "CR in a value is refused");
	like(err, "control character", "and said so");
	is_int(hdr_check("X-Token: a\nHost: evil", 21, out, sizeof(out), err, sizeof(err)), -1,
	       "LF in a value is refused");
	is_int(hdr_check("Host: evil", 10, out, sizeof(out), err, sizeof(err)), -1,
	       "Host is nlevd's");
	is_int(hdr_check("content-length: 5", 17, out, sizeof(out), err, sizeof(err)), -1,
	       "Content-Length is nlevd's");
	is_int(hdr_check("X Token: a", 10, out, sizeof(out), err, sizeof(err)), -1,
	       "a blank in the name");
	is_int(hdr_check("X-Token : a", 11, out, sizeof(out), err, sizeof(err)), -1,
	       "a blank before the colon");
	like(err, "blank before the colon", "named");
	is_int(hdr_check("X-Token:", 8, out, sizeof(out), err, sizeof(err)), -1, "an empty value");
	is_int(hdr_check(": a", 3, out, sizeof(out), err, sizeof(err)), -1, "no name");
	is_int(hdr_check("X-Long: abcdefghij", 18, out, 10, err, sizeof(err)), -1, "too long");

	char **l;
	size_t n;
	const char *f = "# tokens\n\nAuthorization: Bearer s3cret\r\nX-A: 1\n";
	is_int(hdrs_parse(f, strlen(f), &l, &n, err, sizeof(err)), 0, "a header file");
	is_int((long)n, 2, "two headers, comments and blank lines skipped");
	is_str(n > 0 ? l[0] : NULL, "Authorization: Bearer s3cret", "CRLF stripped");
	hdrs_free(l, n);
	f = "X-A: 1\n  folded\n";
	is_int(hdrs_parse(f, strlen(f), &l, &n, err, sizeof(err)), -1, "obs-fold refused");
	is_str(err, "line 2: starts with a blank", "with its line");
	f = "X-A: 1\nbad line\n";
	is_int(hdrs_parse(f, strlen(f), &l, &n, err, sizeof(err)), -1, "a bad line refused");
	like(err, "line 2:", "with its line");
	ok(!strstr(err, "bad line"), "the value is not quoted in the error (a secret)");
	is_int(hdrs_parse("X-A: 1\0x\n", 9, &l, &n, err, sizeof(err)), -1, "a NUL byte");
	char *big = malloc(HDRS_MAX * 8 + 16);
	size_t at = 0;
	for (int i = 0; i <= HDRS_MAX; i++)
		at += (size_t)sprintf(big + at, "X-%d: v\n", i % 10);
	is_int(hdrs_parse(big, at, &l, &n, err, sizeof(err)), -1, "more than %d headers", HDRS_MAX);
	free(big);
}

static void test_hold(void)
{
	struct aset want = {0}, d = {0};
	struct aset_hold h = {0};
	uint8_t a4[4] = {192, 0, 2, 1}, a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	aset_add(&want, AF_INET, a4);
	aset_add(&want, AF_INET6, a6);
	aset_sort_unique(&want);
	double next;
	/* IPv4 goes, IPv6 stays. */
	aset_add(&d, AF_INET6, a6);
	int began = aset_hold_apply(&h, &d, &want, 100., 10., true, &next);
	is_int(began, 1, "IPv4 begins holding");
	is_int((long)d.n, 2, "its address is kept");
	ok(next > 109.9 && next < 110.1, "until now + delay");
	aset_free(&want);
	aset_copy(&want, &d);
	aset_free(&d);
	aset_add(&d, AF_INET6, a6);
	is_int(aset_hold_apply(&h, &d, &want, 105., 10., true, &next), 0, "still held");
	is_int((long)d.n, 2, "still kept");
	aset_free(&d);
	aset_add(&d, AF_INET6, a6);
	is_int(aset_hold_apply(&h, &d, &want, 111., 10., true, &next), 0, "the delay is over");
	is_int((long)d.n, 1, "IPv4 withdrawn");
	ok(next == 0, "nothing held");
	aset_free(&d);
	aset_add(&d, AF_INET6, a6);
	is_int(aset_hold_apply(&h, &d, &want, 111., 10., false, &next), 0, "not armed: no hold");
	aset_free(&d);
	aset_free(&want);
	aset_hold_free(&h);
}

int main(void)
{
	test_query();
	test_answers();
	test_headers();
	test_hold();
	return tap_done();
}
