/* exec: run the admin's hook programs on events.  No shell is ever used:
 * `command` is split once at configure time by a strict splitter, and
 * `directory` runs each executable file in it (run-parts style).  The event
 * goes into NLEVD_* variables and, as one JSON line, to stdin. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <nlevd/plugin.h>

#include "hookcheck.h"

/* A hook's PATH: the one host->cfg_command looked the program up in
 * (ARGV_SAFE_PATH in the core's argv.h), so a hook finds what -t found. */
#define SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define MAX_PARALLEL 32
#define MAX_ENV 40
/* NLEVD_ADDRESSES at most this long: one environment string may be 128 KiB
 * (MAX_ARG_STRLEN), and the whole environment shares ARG_MAX. */
#define ADDRESSES_MAX 65536

enum { ORDER_SERIAL, ORDER_PARALLEL };

/* A kernel event's job has a fixed size: a full queue costs queue *
 * sizeof(struct job), whatever the number of addresses (NLEVD_ADDRESSES is
 * taken when the run starts).  A plugin event's also holds a copy of its
 * fields (ev.fields points to copy[]), at most NLEVD_EMIT_BYTES_MAX. */
struct job {
	struct job *next;
	struct nlevd_event ev;
	struct nlevd_field copy[];
};

/* NLEVD_EVENT, NLEVD_SOURCE and each field, NLEVD_INSTANCE, NLEVD_DROPPED
 * and PATH must fit. */
_Static_assert(NLEVD_EMIT_FIELDS_MAX + 5 <= MAX_ENV, "MAX_ENV too small for plugin events");

struct run {
	struct run *next;
	struct ex *ex;
	struct job *job;
	char **progs; /* absolute paths; NULL-terminated */
	size_t idx;
	size_t dir_first; /* progs from here on are in the directory dfd */
	int dfd;          /* the checked directory, or -1 */
	char *json;
	char *env[MAX_ENV + 1];
	struct nlevd_child *child;
	unsigned dropped;
};

struct ex {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const char *const *cmd; /* host->cfg_command's: the instance owns it */
	const char *dir;
	const char *user;
	uid_t owner_ok; /* files may be owned by root or by this uid */
	uint64_t timeout_ms, queue_max;
	int order;
	struct job *head, *tail;
	size_t qlen;
	unsigned dropped; /* not yet reported to a hook */
	struct run *runs;
	size_t nruns;
	unsigned long long started, failed, dropped_total;
	unsigned long long timeouts; /* runs the core killed at `timeout` */
	bool once_waiting;
	bool pumping; /* in pump(): a run that ends at once does not recurse */
	char **refused; /* files already reported as unsafe */
	size_t nrefused;
	unsigned long long once_failed; /* failures before --once began */
};

static const char *const keys[] = {"command", "directory", "timeout", "order", "queue", "user",
				   NULL};

static int ex_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	static const char *const orders[] = {"serial", "parallel", NULL};
	struct ex *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->host = host;
	x->inst = inst;
	x->owner_ok = geteuid();
	int rc = 0;
	/* The splitter and the PATH lookup are the core's (1.1), so that
	 * other plugins split commands exactly as exec does. */
	if (host->size < offsetof(struct nlevd_host, cfg_command) + sizeof(host->cfg_command)) {
		host->cfg_error(inst, NULL, "exec needs nlevd with host->cfg_command (ABI 1.1)");
		free(x);
		return -EINVAL;
	}
	int crc = host->cfg_command(inst, "command", &x->cmd, NULL);
	if (crc < 0)
		rc = crc;
	host->cfg_string(inst, "directory", NULL, &x->dir);
	host->cfg_string(inst, "user", NULL, &x->user);
	if (host->cfg_duration_ms(inst, "timeout", 30000, &x->timeout_ms) < 0 ||
	    host->cfg_enum(inst, "order", orders, ORDER_SERIAL, &x->order) < 0 ||
	    host->cfg_uint(inst, "queue", 1024, 1, 1000000, &x->queue_max) < 0)
		rc = -EINVAL;
	/* A bad command is reported as such, not as missing. */
	if (!crc && !x->cmd && !x->dir) {
		host->cfg_error(inst, NULL, "exec needs 'command' or 'directory'");
		rc = -EINVAL;
	}
	if (x->user) {
		struct passwd *pw = getpwnam(x->user);
		if (!pw) {
			host->cfg_error(inst, "user", "'%s' does not exist", x->user);
			rc = -EINVAL;
		} else if (geteuid() != 0) {
			/* The child's setgroups() needs root, even for the
			 * daemon's own user: caught by -t, not at the first
			 * event (nor, after the daemon dropped privileges, a
			 * reload that could never run the hook). */
			host->cfg_error(inst, "user", "user=%s needs root (nlevd runs as uid %u)",
					x->user, (unsigned)geteuid());
			rc = -EINVAL;
		} else {
			x->owner_ok = pw->pw_uid;
		}
	}
	struct stat st;
	char why[PATH_MAX + 128];
	if (x->dir && (x->dir[0] != '/' || stat(x->dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
		host->cfg_error(inst, "directory", "'%s' is not an absolute path to a directory",
				x->dir);
		rc = -EINVAL;
	} else if (x->dir && hookcheck_dir(x->dir, x->owner_ok, &st, why, sizeof(why)) < 0) {
		/* Checked again at every run: this is for -t and reloads. */
		host->cfg_error(inst, "directory", "'%s' is unsafe: %s", x->dir, why);
		rc = -EINVAL;
	}
	if (rc < 0) {
		free(x);
		return rc;
	}
	*priv = x;
	return 0;
}

/* run-parts: skip dotfiles and what editors and dpkg leave behind. */
static bool skipped_name(const char *n)
{
	static const char *const suffixes[] = {"~", ".bak", ".swp", ".orig", ".rej", ".tmp",
					       ".dpkg-old", ".dpkg-new", ".dpkg-dist",
					       ".dpkg-tmp", ".ucf-old", ".ucf-new", ".ucf-dist",
					       ".rpmsave", ".rpmnew", ".disabled"};
	size_t len = strlen(n);
	if (n[0] == '.' || n[0] == '#')
		return true;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sl = strlen(suffixes[i]);
		if (len >= sl && !strcmp(n + len - sl, suffixes[i]))
			return true;
	}
	return false;
}

/* An unsafe hook or directory is reported once (error), then at debug
 * level: the list is bounded by the files and reasons there are. */
static void refuse(struct ex *x, const char *path, const char *why)
{
	/* Keyed by path and reason: a new reason is news. */
	char msg[2 * PATH_MAX + 160];
	snprintf(msg, sizeof(msg), "%s: %s", path, why);
	int level = NLEVD_LOG_ERR;
	for (size_t i = 0; i < x->nrefused; i++)
		if (!strcmp(x->refused[i], msg))
			level = NLEVD_LOG_DEBUG;
	if (level == NLEVD_LOG_ERR) {
		char **nr = realloc(x->refused, (x->nrefused + 1) * sizeof(*nr));
		if (nr) {
			x->refused = nr;
			if ((nr[x->nrefused] = strdup(msg)))
				x->nrefused++;
		}
	}
	x->host->log(x->inst, level, "refusing %s", msg);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory of one run, opened and checked as it is now (things
 * change): -1 when it is unsafe or unreadable, and then logged. */
static int dir_open(struct ex *x)
{
	char why[PATH_MAX + 128];
	struct stat want, got;
	int rc = hookcheck_dir(x->dir, x->owner_ok, &want, why, sizeof(why));
	if (rc == -EPERM) {
		refuse(x, x->dir, why);
		return -1;
	}
	int dfd = rc < 0 ? -1 : open(x->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		x->host->log(x->inst, NLEVD_LOG_ERR, "cannot read directory %s: %s", x->dir,
			     rc < 0 ? why : strerror(errno));
		return -1;
	}
	/* The directory opened must be the one checked. */
	if (fstat(dfd, &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino) {
		refuse(x, x->dir, "changed while it was checked");
		close(dfd);
		return -1;
	}
	return dfd;
}

/* The programs of one run: the command, then the directory's files.  Only
 * listed here; each file is opened and checked just before it runs. */
static char **programs(struct ex *x, int dfd)
{
	size_t n = 0, cap = 8;
	char **v = calloc(cap, sizeof(*v));
	if (!v)
		return NULL;
	if (x->cmd && !(v[n++] = strdup(x->cmd[0]))) {
		free(v);
		return NULL;
	}
	/* fdopendir() owns its descriptor and its offset: give it a copy. */
	int lfd = dfd < 0 ? -1 : openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (dfd >= 0 && !d) {
		x->host->log(x->inst, NLEVD_LOG_ERR, "cannot read directory %s: %s", x->dir,
			     strerror(errno));
		if (lfd >= 0)
			close(lfd);
	}
	size_t first = n;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (skipped_name(de->d_name))
			continue;
		/* A symlink counts as the file it points to (as with run-parts):
		 * hooks are often linked in from elsewhere.  What is neither a
		 * regular file nor executable is no hook, silently. */
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode) ||
		    !(st.st_mode & S_IXUSR))
			continue;
		if (n + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		char path[PATH_MAX];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", x->dir, de->d_name) >=
		    sizeof(path))
			continue;
		if (!(v[n] = strdup(path)))
			break;
		n++;
	}
	if (d)
		closedir(d);
	qsort(v + first, n - first, sizeof(*v), cmp_str);
	v[n] = NULL;
	return v;
}

/* The file to execute, opened now: what was checked is what runs.
 * `command` is the admin's own choice of program, so it only has to be a
 * regular file; a directory's files must also be safe.  Returns the
 * descriptor, -EAGAIN for a file refused or gone (logged, no failure), or
 * -EIO (logged, a failure). */
static int prog_open(struct run *r)
{
	struct ex *x = r->ex;
	const char *prog = r->progs[r->idx];
	char why[PATH_MAX + 128];
	if (r->idx < r->dir_first) {
		int fd = open(prog, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			fd = -1;
			errno = ENOEXEC;
		}
		if (fd < 0) {
			x->host->log(x->inst, NLEVD_LOG_ERR, "cannot run %s: %s", prog,
				     strerror(errno));
			return -EIO;
		}
		return fd;
	}
	int fd = hookcheck_open(r->dfd, x->dir, prog + strlen(x->dir) + 1, x->owner_ok, why,
				sizeof(why));
	if (fd >= 0)
		return fd;
	if (fd == -EPERM) {
		refuse(x, prog, why);
	} else if (fd == -ENOENT || fd == -ENOEXEC) { /* removed or changed since listed */
		x->host->log(x->inst, NLEVD_LOG_DEBUG, "skipping %s: %s", prog, why);
	} else {
		x->host->log(x->inst, NLEVD_LOG_ERR, "cannot run %s: %s", prog, why);
		return -EIO;
	}
	return -EAGAIN;
}

struct envb {
	char **env;
	size_t n;
};

/* NLEVD_ and the name in upper case.  The event's fields are the JSON keys
 * (host->event_fields), so the names are NLEVD_EVENT NLEVD_IFNAME
 * NLEVD_IFINDEX NLEVD_INITIAL NLEVD_FAMILY NLEVD_ADDRESS NLEVD_PREFIXLEN
 * NLEVD_SCOPE NLEVD_FLAGS NLEVD_VALID_LFT NLEVD_PREFERRED_LFT NLEVD_PEER
 * NLEVD_OPERSTATE NLEVD_MAC NLEVD_MTU NLEVD_OLD_IFNAME, as they apply; the
 * plugin adds NLEVD_INSTANCE NLEVD_ADDRESSES NLEVD_ADDRESSES_COUNT
 * NLEVD_ADDRESSES_TRUNCATED NLEVD_DROPPED.  A plugin event gives NLEVD_EVENT
 * (its name), NLEVD_SOURCE and one NLEVD_<FIELD> per field, values as they
 * are (no shell reads them; the core bounds them to NLEVD_EMIT_BYTES_MAX). */
static void env_add(struct envb *e, const char *name, const char *value)
{
	if (e->n >= MAX_ENV)
		return;
	size_t len = strlen(name) + strlen(value) + 8;
	char *s = malloc(len);
	if (!s)
		return;
	snprintf(s, len, "NLEVD_%s=%s", name, value);
	for (char *p = s + 6; *p && *p != '='; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	e->env[e->n++] = s;
}

/* For messages: what the event is about. */
static const char *ev_name(const struct ex *x, const struct nlevd_event *ev)
{
	return ev->type == NLEVD_EV_PLUGIN ? ev->name : x->host->event_name(ev->type);
}

static const char *ev_subject(const struct nlevd_event *ev)
{
	if (ev->type != NLEVD_EV_PLUGIN)
		return ev->link.ifname;
	return ev->nfields ? ev->fields[0].value : ""; /* fields[0] is the source */
}

static void env_field(const char *name, const char *value, bool quoted, void *arg)
{
	(void)quoted;
	env_add(arg, name, value);
}

static void run_free(struct run *r)
{
	for (size_t i = 0; r->env[i]; i++)
		free(r->env[i]);
	if (r->progs)
		for (char **p = r->progs; *p; p++)
			free(*p);
	free(r->progs);
	free(r->json);
	if (r->dfd >= 0)
		close(r->dfd);
	free(r->job);
	free(r);
}

static void pump(struct ex *x);
static void run_next(struct run *r);

static void run_done(struct run *r)
{
	struct ex *x = r->ex;
	for (struct run **pp = &x->runs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	x->nruns--;
	run_free(r);
	pump(x);
}

static void child_done(void *arg, const struct nlevd_child_result *res)
{
	struct run *r = arg;
	struct ex *x = r->ex;
	const char *prog = r->progs[r->idx];
	r->child = NULL;
	if (res->spawn_error) {
		/* It could not exec (the core reports that from the loop). */
		x->failed++;
		x->host->log(x->inst, NLEVD_LOG_ERR, "cannot run %s: %s", prog,
			     strerror(res->spawn_error));
	} else if (res->timed_out) {
		x->failed++;
		x->timeouts++;
		x->host->log(x->inst, NLEVD_LOG_WARNING, "%s timed out after %llu ms (%s %s)", prog,
			     (unsigned long long)x->timeout_ms, ev_name(x, &r->job->ev),
			     ev_subject(&r->job->ev));
	} else if (WIFSIGNALED(res->status)) {
		x->failed++;
		x->host->log(x->inst, NLEVD_LOG_WARNING, "%s killed by signal %d", prog,
			     WTERMSIG(res->status));
	} else if (WIFEXITED(res->status) && WEXITSTATUS(res->status)) {
		x->failed++;
		x->host->log(x->inst, NLEVD_LOG_WARNING, "%s exited with status %d", prog,
			     WEXITSTATUS(res->status));
	}
	r->idx++;
	run_next(r);
}

static void run_next(struct run *r)
{
	struct ex *x = r->ex;
	while (r->progs && r->progs[r->idx]) {
		const char *prog = r->progs[r->idx];
		const char *one[] = {prog, NULL};
		int fd = prog_open(r);
		if (fd >= 0 && fd < 3) {
			/* The child's stdio goes to 0-2 before the exec. */
			int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
			close(fd);
			if ((fd = nfd) < 0) {
				x->host->log(x->inst, NLEVD_LOG_ERR, "cannot run %s: %s", prog,
					     strerror(errno));
				fd = -EIO;
			}
		}
		if (fd < 0) {
			if (fd == -EIO)
				x->failed++;
			r->idx++;
			continue;
		}
		struct nlevd_child_spec spec = {
			.argv = r->idx == 0 && x->cmd ? (const char *const *)x->cmd : one,
			.envp = (const char *const *)r->env,
			.input = r->json,
			.input_len = strlen(r->json),
			.timeout_ms = x->timeout_ms,
			.user = x->user,
			.done = child_done,
			.arg = r,
			.exec_fd = fd,
		};
		x->started++;
		r->child = x->host->child_spawn(x->inst, &spec);
		int e = errno;
		close(fd);
		if (r->child)
			return;
		x->failed++;
		x->host->log(x->inst, NLEVD_LOG_ERR, "cannot run %s: %s", prog, strerror(e));
		r->idx++;
	}
	run_done(r);
}

/* NLEVD_ADDRESSES: the interface's addresses as the run starts, whole
 * "addr/len" items up to ADDRESSES_MAX bytes; all are counted. */
struct addrs {
	char *buf;
	size_t len, count;
	bool truncated;
};

static int addr_cb(const struct nlevd_link *link, const struct nlevd_addr *a, void *arg)
{
	struct addrs *s = arg;
	char ip[INET6_ADDRSTRLEN];
	(void)link;
	s->count++;
	if (s->truncated)
		return 0;
	inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->addr, ip, sizeof(ip));
	int n = snprintf(s->buf + s->len, ADDRESSES_MAX + 1 - s->len, "%s%s/%u",
			 s->len ? " " : "", ip, a->prefixlen);
	if (n < 0 || (size_t)n > ADDRESSES_MAX - s->len) {
		s->buf[s->len] = 0; /* ends at the last whole item */
		s->truncated = true;
		return 0;
	}
	s->len += (size_t)n;
	return 0;
}

static void env_addresses(struct ex *x, struct envb *e, const struct nlevd_event *ev)
{
	struct addrs s = {malloc(ADDRESSES_MAX + 1), 0, 0, false};
	if (!s.buf) {
		x->host->log(x->inst, NLEVD_LOG_ERR, "out of memory: no NLEVD_ADDRESSES");
		return;
	}
	s.buf[0] = 0;
	x->host->addr_foreach(ev->link.ifindex, addr_cb, &s);
	env_add(e, "addresses", s.buf);
	free(s.buf);
	char n[32];
	snprintf(n, sizeof(n), "%zu", s.count);
	env_add(e, "addresses_count", n);
	if (s.truncated) {
		env_add(e, "addresses_truncated", "1");
		x->host->log(x->inst, NLEVD_LOG_DEBUG,
			     "NLEVD_ADDRESSES of %s truncated to %zu bytes (%zu addresses)",
			     ev->link.ifname, s.len, s.count);
	}
}

static void run_start(struct ex *x, struct job *j)
{
	struct run *r = calloc(1, sizeof(*r));
	if (!r) {
		x->host->log(x->inst, NLEVD_LOG_ERR, "out of memory: %s not run",
			     ev_name(x, &j->ev));
		free(j);
		return;
	}
	r->ex = x;
	r->job = j;
	r->dfd = -1;
	r->dropped = x->dropped;
	x->dropped = 0;
	struct envb e = {r->env, 0};
	x->host->event_fields(&j->ev, env_field, &e);
	env_add(&e, "instance", x->host->instance_name(x->inst));
	/* A plugin event has no interface, so no NLEVD_ADDRESSES. */
	if (j->ev.type != NLEVD_EV_PLUGIN)
		env_addresses(x, &e, &j->ev);
	if (r->dropped) {
		char n[32];
		snprintf(n, sizeof(n), "%u", r->dropped);
		env_add(&e, "dropped", n);
	}
	if (e.n < MAX_ENV)
		r->env[e.n++] = strdup("PATH=" SAFE_PATH);
	r->env[e.n] = NULL;
	size_t need = x->host->event_json(&j->ev, NULL, 0) + 2;
	if ((r->json = malloc(need))) {
		size_t n = x->host->event_json(&j->ev, r->json, need);
		r->json[n] = '\n';
		r->json[n + 1] = 0;
	}
	if (x->dir)
		r->dfd = dir_open(x);
	r->dir_first = x->cmd ? 1 : 0;
	r->progs = programs(x, r->dfd);
	r->next = x->runs;
	x->runs = r;
	x->nruns++;
	if (!r->json) {
		run_done(r);
		return;
	}
	run_next(r);
}

static void pump(struct ex *x)
{
	size_t max = x->order == ORDER_SERIAL ? 1 : MAX_PARALLEL;
	/* A run whose programs all fail to start ends inside run_start() and
	 * calls pump() again: with a long queue that recursion overflowed
	 * the stack.  The loop below picks up the next job instead. */
	if (x->pumping)
		return;
	x->pumping = true;
	while (x->head && x->nruns < max) {
		struct job *j = x->head;
		x->head = j->next;
		if (!x->head)
			x->tail = NULL;
		x->qlen--;
		run_start(x, j);
	}
	x->pumping = false;
	if (x->once_waiting && !x->head && !x->nruns) {
		x->once_waiting = false;
		x->host->once_done(x->inst, x->failed == x->once_failed);
	}
}

static int ex_once(struct nlevd_instance *inst, void *priv)
{
	struct ex *x = priv;
	(void)inst;
	if (!x->head && !x->nruns)
		return x->failed ? -1 : 0;
	x->once_waiting = true;
	x->once_failed = 0;
	return NLEVD_ONCE_PENDING;
}

/* The event outlives the call in the queue: a plugin event's fields are
 * copied into the job (one allocation, so free() is all a job needs).  A
 * kernel event is copied without the 1.1 fields, which only plugin events
 * have: so does a core older than this plugin's header. */
static struct job *job_new(const struct nlevd_event *ev)
{
	if (ev->type != NLEVD_EV_PLUGIN) {
		struct job *j = calloc(1, sizeof(*j));
		if (j)
			memcpy(&j->ev, ev, offsetof(struct nlevd_event, name));
		return j;
	}
	size_t bytes = 0;
	for (size_t i = 0; i < ev->nfields; i++)
		bytes += strlen(ev->fields[i].name) + strlen(ev->fields[i].value) + 2;
	bytes += strlen(ev->name) + 1;
	struct job *j = calloc(1, sizeof(*j) + ev->nfields * sizeof(j->copy[0]) + bytes);
	if (!j)
		return NULL;
	j->ev = *ev;
	char *s = (char *)(j->copy + ev->nfields);
	for (size_t i = 0; i < ev->nfields; i++) {
		size_t n = strlen(ev->fields[i].name) + 1;
		j->copy[i].name = memcpy(s, ev->fields[i].name, n);
		s += n;
		n = strlen(ev->fields[i].value) + 1;
		j->copy[i].value = memcpy(s, ev->fields[i].value, n);
		s += n;
	}
	j->ev.name = memcpy(s, ev->name, strlen(ev->name) + 1);
	j->ev.fields = j->copy;
	return j;
}

static void ex_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	struct ex *x = priv;
	(void)inst;
	struct job *j = job_new(ev);
	if (!j) {
		x->dropped++;
		x->dropped_total++;
		return;
	}
	if (x->qlen >= x->queue_max) {
		struct job *old = x->head;
		x->head = old->next;
		if (!x->head)
			x->tail = NULL;
		x->qlen--;
		x->dropped++;
		x->dropped_total++;
		x->host->log(x->inst, NLEVD_LOG_WARNING,
			     "queue full (%llu): dropped the oldest event (%s %s)",
			     (unsigned long long)x->queue_max, ev_name(x, &old->ev),
			     ev_subject(&old->ev));
		free(old);
	}
	if (x->tail)
		x->tail->next = j;
	else
		x->head = j;
	x->tail = j;
	x->qlen++;
	pump(x);
}

static void ex_report(struct nlevd_instance *inst, void *priv, struct nlevd_status *st)
{
	(void)inst;
	struct ex *x = priv;
	const struct nlevd_host *h = x->host;
	h->status_string(st, "summary", "%zu running, %zu queued; %llu started, %llu failed",
			 x->nruns, x->qlen, x->started, x->failed);
	h->status_uint(st, "running", x->nruns);
	h->status_uint(st, "queued", x->qlen);
	h->status_uint(st, "started", x->started);
	h->status_uint(st, "failed", x->failed);
	h->status_uint(st, "events_dropped", x->dropped_total);
	/* nlevctl metrics: nlevd_hook_runs_total{instance=...,plugin="exec"} ... */
	h->status_object(st, "metrics");
	h->status_uint(st, "hook_runs_total", x->started);
	h->status_uint(st, "hook_timeouts_total", x->timeouts);
	h->status_uint(st, "hook_queue_drops_total", x->dropped_total);
	h->status_end(st);
}

static void ex_destroy(struct nlevd_instance *inst, void *priv)
{
	struct ex *x = priv;
	(void)inst;
	/* The core has already disowned our children: no callback follows. */
	while (x->runs) {
		struct run *r = x->runs;
		x->runs = r->next;
		run_free(r);
	}
	while (x->head) {
		struct job *j = x->head;
		x->head = j->next;
		free(j);
	}
	for (size_t i = 0; i < x->nrefused; i++)
		free(x->refused[i]);
	free(x->refused);
	free(x);
}

const struct nlevd_plugin nlevd_plugin = {
	NLEVD_PLUGIN_INIT,
	.name = "exec",
	.version = PACKAGE_VERSION,
	.keys = keys,
	.create = ex_create,
	.event = ex_event,
	.once = ex_once,
	.report = ex_report,
	.destroy = ex_destroy,
};
