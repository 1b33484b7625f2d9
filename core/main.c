/* nlevd: command line, daemon life cycle, signals and reload. */
#include <errno.h>
#include <ev.h>
#include <jansson.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "child.h"
#include "control.h"
#include "ctlstatus.h"
#include "emit.h"
#include "instance.h"
#include "log.h"
#include "metrics.h"
#include "module.h"
#include "netlink.h"
#include "notify.h"
#include "once.h"
#include "pidfile.h"
#include "state.h"
#include "util.h"

#ifndef NLEVD_PLUGIN_DIR
#define NLEVD_PLUGIN_DIR "/usr/lib/nlevd"
#endif
#ifndef NLEVD_CONTROL_SOCKET
#define NLEVD_CONTROL_SOCKET "/run/nlevd/control"
#endif
#ifndef NLEVD_CONFIG_FILE
#define NLEVD_CONFIG_FILE "/etc/nlevd/nlevd.conf"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define EX_OK_ 0
#define EX_FAIL 1
#define EX_USAGE_ 64
#define EX_CONFIG_ 78
#define STOP_GRACE 2.0
#define STATUS_EVERY 5.0 /* s between checks of systemd's STATUS= */

static struct {
	struct ev_loop *loop;
	const char *config;
	const char *plugin_dir;
	const char *pidfile;
	bool foreground, check, once, help, version;
	int verbosity;
	struct instances running;
	ev_signal sig_hup, sig_term, sig_int, sig_usr1;
	ev_timer stop_timer;
	ev_timer status_timer; /* systemd's STATUS=, when notifying */
	char status_sent[1024];
	ev_periodic no_wakeup;
	int stop_phase;
	int exit_code;
	struct control *ctl; /* the control socket, NULL when none */
	uint64_t started_ms; /* now_ms() (monotonic) at start: the status' uptime */
} d;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nlevd [OPTION]...\n"
		"Route the kernel's rtnetlink link and address events to plugins.\n\n"
		"  -c, --config FILE      config file (default " NLEVD_CONFIG_FILE ")\n"
		"  -P, --plugin-dir DIRS  the plugin search path: directories, space-separated,\n"
		"                         the first that has a plugin wins (overrides plugin_dir)\n"
		"  -f, --foreground       do not daemonize; log to stderr\n"
		"  -t, --check            check the config and every instance, then exit\n"
		"                         (-t -v: also each instance's plugin and version)\n"
		"  -1, --once             deliver the current state, wait, exit 0 if all succeeded\n"
		"  -p, --pidfile FILE     write a pid file\n"
		"  -v, -q                 more / less logging (repeatable)\n"
		"  -V, --version          print the version (-V -v: also every plugin found)\n"
		"  -h, --help             print this help\n\n");
	/* -h reads no config file: its plugin_dir may say otherwise. */
	if (d.plugin_dir)
		fprintf(f, "Plugin search path (-P): %s\n", d.plugin_dir);
	else
		fprintf(f, "Plugin search path: " NLEVD_PLUGIN_DIR "\n"
			"  (the default: -h reads no config file, whose plugin_dir replaces it)\n");
	fprintf(f, "\nExit status: 0 ok, 64 usage error, 78 configuration error, 1 other failure.\n"
		"Signals: HUP reloads, TERM/INT stop, USR1 logs the state.\n");
}

/* -V -v: the search path in effect (-P, else the config's plugin_dir, else
 * the default) and what each of its directories holds. */
static int print_version(void)
{
	printf("nlevd %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, NLEVD_ABI_MAJOR, NLEVD_ABI_MINOR);
	if (d.verbosity <= 0)
		return EX_OK_;
	struct cfg *c = cfg_load(d.config, d.plugin_dir);
	if (!c) {
		fprintf(stderr, "nlevd: out of memory\n");
		return EX_FAIL;
	}
	if (c->nerrors)
		fprintf(stderr, "nlevd: %s: %d error%s (nlevd -t shows them)\n", d.config,
			c->nerrors, c->nerrors == 1 ? "" : "s");
	const struct cfg_kv *kv = cfg_find(c->global, "plugin_dir");
	printf("plugin search path (%s): %s\n",
	       d.plugin_dir ? "-P" : kv && !strcmp(kv->value, c->plugin_dir) ? "plugin_dir" : "default",
	       c->plugin_dir ? c->plugin_dir : "");
	module_list((const char *const *)c->plugin_path, stdout);
	cfg_free(c);
	return EX_OK_;
}

static void apply_log(const struct cfg *c)
{
	enum log_target t = d.foreground || d.check ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG;
	if (c->log_target >= 0)
		t = (enum log_target)c->log_target;
	log_setup(t, c->log_level + d.verbosity);
}

/* Every routed event is also counted and shown to the control socket's
 * monitor clients: data flows down into both, nothing comes back. */
static void dispatch(const struct nlevd_event *ev, void *arg)
{
	(void)arg;
	metrics_count_event(ev);
	instances_dispatch(&d.running, ev);
	control_event(d.ctl, ev);
}

/* Plugin events go to the set running when they are delivered. */
static void dispatch_plugin(struct pevent *pe, void *arg)
{
	(void)arg;
	metrics_count_event(&pe->ev);
	instances_dispatch_plugin(&d.running, pe);
	control_event(d.ctl, &pe->ev);
}

/* systemd (Type=notify): the counts, then what each instance's status
 * summarises.  Sent when ready and, when it changed, every STATUS_EVERY
 * seconds (an instance's state changes without telling the core). */
static void notify_status(bool ready)
{
	char sum[768], line[1024];
	size_t n = 0;
	for (struct instance *i = d.running.head; i; i = i->next)
		n++;
	if (instances_summary(&d.running, sum, sizeof(sum)) >= sizeof(sum))
		memcpy(sum + sizeof(sum) - 4, "...", 4);
	snprintf(line, sizeof(line), "%zu interfaces, %zu addresses, %zu instances%s%s",
		 state_count_links(), state_count_addrs(), n, sum[0] ? "; " : "", sum);
	if (!ready && !strcmp(line, d.status_sent))
		return;
	snprintf(d.status_sent, sizeof(d.status_sent), "%s", line);
	notify("%sSTATUS=%s", ready ? "READY=1\n" : "", line);
}

static void notify_ready(void)
{
	notify_status(true);
}

static void status_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	notify_status(false);
}

/* A refused reload: the old configuration stays, and the SIGHUP still
 * counts for it (log files reopened: logrotate does not check the config;
 * keys re-read).  why goes to the log and, shorter, to systemd's STATUS=. */
/* The errors of a refused reload, for the control socket's reply: the
 * configuration's FILE:LINE messages, or why else it was refused. */
static json_t *reload_errors(const struct cfg *c, const char *why)
{
	json_t *a = json_array();
	for (const struct cfg_error *e = c ? c->errors : NULL; a && e; e = e->next)
		json_array_append_new(a, control_string(e->msg));
	if (a && json_array_size(a) == 0)
		json_array_append_new(a, json_string(why));
	return a;
}

static int reload_refused(struct cfg *c, const char *why, const char *status, json_t **errors)
{
	log_err("reload failed: %s; the old configuration stays", why);
	if (errors)
		*errors = reload_errors(c, why);
	instances_reopen(&d.running);
	notify("READY=1\nSTATUS=reload failed (%s), old configuration running", status);
	cfg_free(c);
	return -1;
}

/* SIGHUP and the control socket's reload: 0 when the new configuration
 * runs, -1 when it was refused (the old one stays) and then, when errors
 * is not NULL, *errors is the list of messages (a jansson array). */
static int reload(json_t **errors)
{
	log_notice("reloading %s", d.config);
	notify("RELOADING=1\nSTATUS=reloading %s", d.config);
	struct cfg *c = cfg_load(d.config, d.plugin_dir);
	if (!c)
		return reload_refused(NULL, "out of memory", "out of memory", errors);
	struct instances neu = {NULL};
	if (instances_create(c, d.loop, &d.running, &neu) < 0) {
		char why[64], status[32];
		cfg_log_errors(c);
		snprintf(why, sizeof(why), "%d error%s", c->nerrors, c->nerrors == 1 ? "" : "s");
		snprintf(status, sizeof(status), "%d errors", c->nerrors);
		return reload_refused(c, why, status, errors);
	}
	if (instances_start(&neu) < 0) {
		instances_destroy(&neu, NLEVD_STOP_REFUSED);
		return reload_refused(c, "an instance cannot start", "an instance cannot start",
				      errors);
	}
	apply_log(c);
	instances_commit(&d.running, &neu);
	d.running = neu;
	cfg_free(c);
	module_log_loaded(); /* the plugins the new configuration added */
	log_notice("reloaded");
	notify_ready();
	return 0;
}

/* ---- the control socket's commands (control.c calls them) ---- */

/* The request's "instance": NULL when absent (all); *bad when it is there
 * but not a string. */
static const char *req_instance(const json_t *req, bool *bad)
{
	const json_t *v = json_object_get(req, "instance");
	*bad = v && !json_is_string(v) && !json_is_null(v);
	return json_string_value(v);
}

static json_t *ctl_status(const json_t *req, void *arg)
{
	(void)arg;
	bool bad;
	const char *name = req_instance(req, &bad);
	if (bad)
		return control_error("instance: not a string");
	struct ctlstatus_daemon dmn = {
		.version = PACKAGE_VERSION,
		.config = d.config,
		.pid = getpid(),
		.uptime_s = (now_ms() - d.started_ms) / 1000,
		.netlink = &nl_stats,
	};
	json_t *r;
	int rc = ctlstatus_build(&dmn, &d.running, name, &r);
	if (rc == -ENOENT)
		return control_error("unknown instance '%.64s'", name);
	if (rc < 0)
		return NULL;
	return control_ok(r);
}

static void pushed_cb(const char *name, void *arg)
{
	json_array_append_new(arg, control_string(name));
}

static json_t *ctl_push(const json_t *req, void *arg)
{
	(void)arg;
	bool bad;
	const char *name = req_instance(req, &bad);
	if (bad)
		return control_error("instance: not a string");
	json_t *list = json_array();
	if (!list)
		return NULL;
	int rc = instances_push(&d.running, name, pushed_cb, list);
	if (rc < 0) {
		json_decref(list);
		if (rc == -ENOENT)
			return control_error("unknown instance '%.64s'", name ? name : "");
		return control_error("push: %s", strerror(-rc));
	}
	return control_ok(json_pack("{s:o}", "pushed", list));
}

static json_t *ctl_reload(const json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	if (d.stop_phase)
		return control_error("stopping");
	json_t *errors = NULL;
	if (reload(&errors) == 0)
		return control_ok(json_pack("{s:b}", "reloaded", 1));
	return json_pack("{s:b,s:s,s:o}", "ok", 0, "error", "configuration refused", "errors",
			 errors ? errors : json_array());
}

static json_t *ctl_metrics(const json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	char *text = metrics_text(&d.running);
	if (!text)
		return NULL;
	json_t *reply = control_ok(json_pack("{s:s}", "text", text));
	free(text);
	return reply;
}

static void ctl_dropped(void *arg)
{
	(void)arg;
	metrics_count_control_drop();
}

/* Before the privilege drop (it may need root for its directory). */
static int control_setup(const struct cfg *c)
{
	const char *path = c->control_socket;
	/* The test suite's default: a socket of its own per daemon. */
	if (!path)
		path = getenv("NLEVD_CONTROL_SOCKET");
	if (!path || !*path) {
		path = NLEVD_CONTROL_SOCKET;
		/* Not asked for: a user trying nlevd out without root (the
		 * netlink events need none) is not refused for want of
		 * /run/nlevd.  An explicit control_socket must work. */
		char dir[sizeof(NLEVD_CONTROL_SOCKET)];
		memcpy(dir, path, sizeof(dir));
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		if (geteuid() != 0 && access(dir, W_OK) < 0) {
			log_notice("no control socket: %s is not writable by uid %u (set "
				   "control_socket to a path it may create)",
				   dir, (unsigned)geteuid());
			return 0;
		}
	}
	if (!strcmp(path, "none"))
		return 0;
	static const struct control_ops ops = {
		.status = ctl_status,
		.push = ctl_push,
		.reload = ctl_reload,
		.metrics = ctl_metrics,
		.dropped = ctl_dropped,
	};
	d.ctl = control_open(d.loop, path, c->control_gid, &ops);
	return d.ctl ? 0 : -1;
}

/* Without a periodic watcher, libev wakes up every 59.743 s to notice a
 * jump of the wall clock; with one, libev 4.33 (EV_USE_TIMERFD, as Debian
 * builds it) watches for clock changes with a timerfd instead and sleeps up
 * to 1,500,001 s (17 days).  This one never fires (in the year 33658) and
 * does not keep the loop running. */
static void no_wakeup_cb(struct ev_loop *loop, ev_periodic *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
}

static void stop_step(void);

static void stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	stop_step();
}

static void children_idle(void *arg)
{
	(void)arg;
	if (d.stop_phase)
		stop_step();
}

/* Stopping: let running children finish for a grace time, then destroy
 * the instances (TERM to what still runs, KILL after 2 s), then leave. */
static void stop_step(void)
{
	ev_timer_stop(d.loop, &d.stop_timer);
	if (d.stop_phase == 1) {
		d.stop_phase = 2;
		instances_destroy(&d.running, NLEVD_STOP_SHUTDOWN);
		if (child_count()) {
			ev_timer_set(&d.stop_timer, STOP_GRACE + 0.5, 0.);
			ev_timer_start(d.loop, &d.stop_timer);
			return;
		}
	}
	if (d.stop_phase == 2 && child_count() && ev_is_active(&d.stop_timer))
		return;
	ev_break(d.loop, EVBREAK_ALL);
}

static void stop(void)
{
	if (d.stop_phase)
		return;
	d.stop_phase = 1;
	log_notice("stopping");
	ev_timer_stop(d.loop, &d.status_timer);
	notify("STOPPING=1\nSTATUS=stopping");
	netlink_close();
	control_close(d.ctl);
	d.ctl = NULL;
	if (child_count()) {
		ev_timer_set(&d.stop_timer, STOP_GRACE, 0.);
		ev_timer_start(d.loop, &d.stop_timer);
		return;
	}
	stop_step();
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)loop;
	(void)revents;
	switch (w->signum) {
	case SIGHUP:
		if (!d.stop_phase)
			reload(NULL);
		break;
	case SIGUSR1:
		state_dump_log();
		netlink_stats_log();
		instances_status(&d.running);
		break;
	default:
		stop();
	}
}

static void once_check(void *arg)
{
	(void)arg;
	int r = instances_once_result(&d.running);
	if (r != 0) {
		d.exit_code = r > 0 ? EX_OK_ : EX_FAIL;
		ev_break(d.loop, EVBREAK_ALL);
	}
}

static int drop_privileges(const struct cfg *c)
{
	if (!c->user && !c->group)
		return 0;
	gid_t gid = getgid();
	uid_t uid = getuid();
	const char *uname = NULL;
	if (c->user) {
		struct passwd *pw = getpwnam(c->user);
		if (!pw) {
			log_err("user '%s' not found", c->user);
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		uname = c->user;
	}
	if (c->group) {
		struct group *gr = getgrnam(c->group);
		if (!gr) {
			log_err("group '%s' not found", c->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	/* Not root (the config check let only the identity it has pass):
	 * nothing to drop, and initgroups() would fail. */
	if (geteuid() != 0 && uid == geteuid() && gid == getegid())
		return 0;
	/* The control socket stays the daemon's to remove, and its own
	 * uid may then connect (the group stays control_group). */
	if (uid != geteuid() && control_chown(d.ctl, uid) < 0)
		return -1;
	if ((uname ? initgroups(uname, gid) : setgroups(1, &gid)) < 0 || setgid(gid) < 0 ||
	    setuid(uid) < 0) {
		log_err("cannot drop privileges: %s", strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		log_err("privileges could be regained after dropping them");
		return -1;
	}
	log_info("running as uid %u gid %u", (unsigned)uid, (unsigned)gid);
	return 0;
}

/* Fork into the background; the parent exits with the status the daemon
 * reports through the pipe once it has started (or failed to). */
static int daemonize(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		unsigned char code = EX_FAIL;
		ssize_t n;
		do
			n = read(p[0], &code, 1);
		while (n < 0 && errno == EINTR);
		_exit(n == 1 ? code : EX_FAIL);
	}
	close(p[0]);
	if (setsid() < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0)
		_exit(0);
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (chdir("/") < 0)
		return -1;
	umask(022);
	return p[1];
}

static void ready(int fd, int code)
{
	if (fd < 0)
		return;
	unsigned char c = (unsigned char)code;
	if (write(fd, &c, 1) < 0) {
		/* the parent is gone: nothing to tell */
	}
	close(fd);
}


static int run(struct cfg *c)
{
	int ready_fd = -1;
	module_log_loaded();
	const char *pidfile = d.pidfile ? d.pidfile : c->pidfile;
	if (pidfile && pidfile_lock(pidfile, !d.foreground && !d.once) < 0)
		return EX_FAIL;
	if (!d.foreground && !d.once) {
		ready_fd = daemonize();
		if (ready_fd < 0) {
			log_err("cannot daemonize: %s", strerror(errno));
			return EX_FAIL;
		}
		ev_loop_fork(d.loop);
	}
	if (pidfile && pidfile_put() < 0) {
		ready(ready_fd, EX_FAIL);
		return EX_FAIL;
	}
	bool notifying = !d.once && notify_init() == 1;
	state_init(dispatch, NULL);
	d.started_ms = now_ms();
	if (netlink_open(d.loop, c->netlink_rcvbuf) < 0 || (!d.once && control_setup(c) < 0) ||
	    drop_privileges(c) < 0 || netlink_initial_dump() < 0) {
		control_close(d.ctl);
		d.ctl = NULL;
		ready(ready_fd, EX_FAIL);
		return EX_FAIL;
	}
	ev_signal_init(&d.sig_hup, signal_cb, SIGHUP);
	ev_signal_init(&d.sig_term, signal_cb, SIGTERM);
	ev_signal_init(&d.sig_int, signal_cb, SIGINT);
	ev_signal_init(&d.sig_usr1, signal_cb, SIGUSR1);
	ev_signal_start(d.loop, &d.sig_term);
	ev_signal_start(d.loop, &d.sig_int);
	ev_timer_init(&d.stop_timer, stop_timer_cb, 0., 0.);

	struct instances none = {NULL};
	if (d.once) {
		once_init(once_check, NULL);
		instances_start(&d.running); /* with .once, failures are results */
		instances_commit(&none, &d.running);
		d.exit_code = -1;
		once_check(NULL);
		if (d.exit_code < 0)
			ev_run(d.loop, 0);
		if (d.exit_code < 0) /* stopped by a signal */
			d.exit_code = EX_FAIL;
		instances_report_log(&d.running); /* the summary: what each achieved */
		netlink_close();
		instances_destroy(&d.running, NLEVD_STOP_SHUTDOWN);
		return d.exit_code;
	}
	ev_signal_start(d.loop, &d.sig_hup);
	ev_signal_start(d.loop, &d.sig_usr1);
	if (instances_start(&d.running) < 0) {
		ready(ready_fd, EX_FAIL);
		control_close(d.ctl);
		d.ctl = NULL;
		netlink_close();
		instances_destroy(&d.running, NLEVD_STOP_REFUSED);
		return EX_FAIL;
	}
	instances_commit(&none, &d.running);
	log_notice("nlevd %s started: %zu interfaces, %zu addresses", PACKAGE_VERSION,
		   state_count_links(), state_count_addrs());
	ready(ready_fd, EX_OK_);
	notify_ready();
	ev_timer_init(&d.status_timer, status_timer_cb, STATUS_EVERY, STATUS_EVERY);
	if (notifying)
		ev_timer_start(d.loop, &d.status_timer);
	ev_periodic_init(&d.no_wakeup, no_wakeup_cb, 1e12, 0., NULL);
	ev_periodic_start(d.loop, &d.no_wakeup);
	ev_unref(d.loop);
	ev_run(d.loop, 0);
	ev_ref(d.loop);
	ev_periodic_stop(d.loop, &d.no_wakeup);
	control_close(d.ctl);
	d.ctl = NULL;
	netlink_close();
	instances_destroy(&d.running, NLEVD_STOP_SHUTDOWN);
	log_notice("stopped");
	notify_close();
	return EX_OK_;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"plugin-dir", required_argument, NULL, 'P'},
		{"foreground", no_argument, NULL, 'f'},
		{"check", no_argument, NULL, 't'},
		{"once", no_argument, NULL, '1'},
		{"pidfile", required_argument, NULL, 'p'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int o;
	/* Started with 0, 1 or 2 closed, the netlink socket or a hook's pipe
	 * would get that number and log lines would be written into it. */
	for (int fd; (fd = open("/dev/null", O_RDWR)) >= 0;) {
		if (fd > 2) {
			close(fd);
			break;
		}
	}
	/* Before any secret (a TSIG key file) is read: no core dump of the
	 * daemon, no ptrace or /proc/PID/mem by its own (dropped) user.
	 * NLEVD_DUMPABLE=1 keeps it dumpable, for debugging. */
	const char *dump = getenv("NLEVD_DUMPABLE");
	if (!(dump && !strcmp(dump, "1")) && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fprintf(stderr, "nlevd: prctl(PR_SET_DUMPABLE): %s\n", strerror(errno));
	d.config = NLEVD_CONFIG_FILE;
	while ((o = getopt_long(argc, argv, "c:P:ft1p:vqVh", opts, NULL)) != -1) {
		switch (o) {
		case 'c': d.config = optarg; break;
		case 'P': d.plugin_dir = optarg; break;
		case 'f': d.foreground = true; break;
		case 't': d.check = true; break;
		case '1': d.once = true; break;
		case 'p': d.pidfile = optarg; break;
		case 'v': d.verbosity++; break;
		case 'q': d.verbosity--; break;
		case 'V': d.version = true; break;
		case 'h': d.help = true; break;
		default: usage(stderr); return EX_USAGE_;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nlevd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EX_USAGE_;
	}
	if (d.plugin_dir) {
		/* A search path, as plugin_dir is: absolute directories. */
		char **w = split_words(d.plugin_dir, NULL);
		bool bad = !w || !w[0];
		for (char **p = w; p && *p; p++)
			bad |= (*p)[0] != '/';
		free_words(w);
		if (bad) {
			fprintf(stderr, "nlevd: --plugin-dir wants absolute directories\n");
			return EX_USAGE_;
		}
	}
	/* After every option: -h and -V show what -P and -v asked for. */
	if (d.help) {
		usage(stdout);
		return EX_OK_;
	}
	if (d.version)
		return print_version();
	/* Locked before the daemon changes to /, removed after: one meaning. */
	if (d.pidfile && d.pidfile[0] != '/') {
		fprintf(stderr, "nlevd: --pidfile must be an absolute path\n");
		return EX_USAGE_;
	}
	signal(SIGPIPE, SIG_IGN);
	log_setup(LOG_TARGET_STDERR, NLEVD_LOG_INFO + d.verbosity);

	struct cfg *c = cfg_load(d.config, d.plugin_dir);
	if (!c) {
		fprintf(stderr, "nlevd: out of memory\n");
		return EX_FAIL;
	}
	cfg_resolve_control_group(c);
	d.loop = ev_default_loop(EVFLAG_AUTO);
	if (!d.loop) {
		fprintf(stderr, "nlevd: cannot initialise libev\n");
		cfg_free(c);
		return EX_FAIL;
	}
	emit_init(d.loop, dispatch_plugin, NULL);
	child_init(d.loop, children_idle, NULL);
	/* Instances are checked even after other errors: -t reports them all. */
	d.running.check = d.check;
	d.running.once = d.once;
	instances_create(c, d.loop, NULL, &d.running);
	if (c->nerrors) {
		cfg_print_errors(c, stderr);
		fprintf(stderr, "nlevd: %s: %d error%s\n", d.config, c->nerrors,
			c->nerrors == 1 ? "" : "s");
		cfg_free(c);
		emit_free();
		return EX_CONFIG_;
	}
	if (d.check) {
		for (struct instance *i = d.running.head; i && d.verbosity > 0; i = i->next) {
			char desc[4096 + 128];
			module_describe(i->mod, desc, sizeof(desc));
			printf("[%s] plugin %s\n", i->name, desc);
		}
		instances_destroy(&d.running, NLEVD_STOP_CHECK);
		printf("%s: configuration ok\n", d.config);
		cfg_free(c);
		emit_free();
		return EX_OK_;
	}
	apply_log(c);
	int rc = run(c);
	emit_free();
	pidfile_remove();
	cfg_free(c);
	state_free();
	ev_loop_destroy(d.loop);
	return rc;
}
