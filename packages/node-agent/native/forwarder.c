// kemu's byte mover: epoll threads (one per core) that splice accepted client connections
// to their chosen endpoints.
//
// Why C: a TCP forwarder written in JavaScript pays Node's per-callback cost on every read
// and every write (libuv -> C++ -> JS and back). Measured on the 2-core machines kemu
// targets, with wrk over 50 keep-alive connections to a fast backend: HAProxy 2.6 in TCP
// mode ~34k req/s, the best JS forwarder (net.Socket with `onread` into a reused buffer,
// and raw tcp_wrap handles) ~26k, a plain epoll loop in C ~45k. Issue 4 asks for at least
// HAProxy's rate through a ClusterIP, so the steady-state byte path lives here. Everything
// that decides anything (endpoint choice, retries, affinity, counters per service) stays
// in TypeScript: JS accepts, picks and connects, then hands both sockets to this engine.
//
// Contract with JS:
//   create(onEvents, threads)               starts `threads` workers (0: one per core).
//   watch(engine, id, listenFd)             the engine accepts on a listening socket (made by
//                                           listen() below) and reports each client; `id` is
//                                           JS's and never reused. unwatch(engine, id, fd)
//                                           stops and closes it.
//   add(engine, slot, clientFd, backendFd, owned)
//                                           pairs two sockets. The engine dup()s the backend
//                                           fd (JS closes its own copy) and, unless `owned`,
//                                           the client fd; an owned client fd (one the engine
//                                           accepted) passes to the engine. `slot` is chosen
//                                           by JS and not reused until reported closed.
//   close(engine, slot)                     ends the pair (both sides closed).
//   reset(fd)                               resets and closes an accepted client (no endpoint).
//   onEvents(Float64Array of 5-number records, batched, on the JS thread):
//     [0, slot, bytesToBackend, bytesToClient, reason]   a pair ended
//     [1, id, clientFd, clientIPv4, clientPort]          a client was accepted
// Invariant: every fd the engine owns is closed exactly once: a pair's when it is reported,
// an accepted client's by JS (add owned, or reset).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <node_api.h>

#define BUF_SIZE 65536

// Why a pair ended; mirrored in TS (dataplane/native-engine.ts).
enum { END_DONE = 0, END_CLIENT_RESET = 1, END_BACKEND_RESET = 2, END_CLOSED_BY_AGENT = 3, END_ERROR = 4 };

typedef struct pending {
  char* data;
  size_t off, len;
} pending_t;

// Side 0 is the client, side 1 the backend. pend[s] holds bytes read from side s that
// side 1-s has not accepted yet; while it is non-empty, side s is not read (backpressure).
typedef struct conn {
  uint32_t slot;   // JS's number for the pair
  uint32_t index;  // its place in its worker's table
  int fd[2];
  uint32_t interest[2];
  int eof[2];        // side s has sent FIN (read returned 0)
  int shut_wr[2];    // we have sent FIN to side s
  pending_t pend[2];
  uint64_t bytes[2];  // bytes read from side s and written to the other
} conn_t;

typedef enum { CMD_ADD, CMD_CLOSE, CMD_WATCH, CMD_UNWATCH } cmd_kind;
typedef struct cmd {
  cmd_kind kind;
  uint32_t slot;
  int fd[2];
  struct cmd* next;
} cmd_t;

#define REC 5  // numbers per record sent to JS

typedef struct event_batch {
  size_t n;
  double* rec;  // n * REC numbers
} event_batch_t;

// One epoll thread. An engine runs one per core (as HAProxy runs one thread per core): a
// pair lives on worker `slot % nworkers` at index `slot / nworkers`, so a worker that the
// scheduler delays holds up only its share of the connections. Listeners live on worker 0.
typedef struct worker {
  int index, nworkers;
  int ep;
  int evfd;
  pthread_t thread;
  pthread_mutex_t mu;
  cmd_t* head;
  cmd_t* tail;
  conn_t** conns;  // by index (slot / nworkers)
  size_t nconns;
  napi_threadsafe_function tsfn;
  char* buf;  // BUF_SIZE bytes, read into by this worker only
  // filled by the worker, flushed to JS once per epoll round
  double* out;
  size_t out_n, out_cap;
  int stop_requested;  // under mu
  int reserve_fd;      // worker 0: closed to accept-and-reset one client when out of descriptors
} worker_t;

// epoll data: the command eventfd, a listener (LISTEN_BIT | fd << 32 | id) or a pair side
// (index << 1 | side; slots stay below 2^31).
#define CMD_DATA UINT64_MAX
#define LISTEN_BIT (1ULL << 62)

static double* next_record(worker_t* e) {
  if (e->out_n + 1 > e->out_cap) {
    size_t cap = e->out_cap ? e->out_cap * 2 : 64;
    double* nb = realloc(e->out, cap * REC * sizeof(double));
    if (!nb) return NULL;
    e->out = nb;
    e->out_cap = cap;
  }
  return e->out + (e->out_n++) * REC;
}

static void push_closed(worker_t* e, conn_t* c, int reason) {
  double* r = next_record(e);
  if (!r) return;  // out of memory: the slot is lost to JS; nothing else to do
  r[0] = 0;
  r[1] = c->slot;
  r[2] = (double)c->bytes[0];
  r[3] = (double)c->bytes[1];
  r[4] = reason;
}

static void reset_and_close(int fd) {
  struct linger lg = { .l_onoff = 1, .l_linger = 0 };
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
}

// Accepts what is pending on a listener (at most 64 per wake-up, for fairness).
static void on_listener(worker_t* e, uint32_t id, int lfd) {
  for (int i = 0; i < 64; i++) {
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int c = accept4(lfd, (struct sockaddr*)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) {
      if ((errno == EMFILE || errno == ENFILE) && e->reserve_fd >= 0) {
        // Out of descriptors: refuse one client at once rather than leave it (and this
        // level-triggered listener) spinning.
        close(e->reserve_fd);
        c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c >= 0) reset_and_close(c);
        e->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        continue;
      }
      return;  // EAGAIN, or an error that the next wake-up will see again
    }
    double* r = next_record(e);
    if (!r) {
      reset_and_close(c);
      continue;
    }
    r[0] = 1;
    r[1] = id;
    r[2] = c;
    r[3] = peer.sin_family == AF_INET ? (double)ntohl(peer.sin_addr.s_addr) : 0;
    r[4] = peer.sin_family == AF_INET ? ntohs(peer.sin_port) : 0;
  }
}

static void flush_events(worker_t* e) {
  if (e->out_n == 0) return;
  event_batch_t* b = malloc(sizeof *b);
  if (!b) return;
  b->n = e->out_n;
  b->rec = e->out;
  e->out = NULL;
  e->out_n = e->out_cap = 0;
  if (napi_call_threadsafe_function(e->tsfn, b, napi_tsfn_blocking) != napi_ok) {
    free(b->rec);
    free(b);
  }
}

#define REMOVED UINT32_MAX

static void set_interest(worker_t* e, conn_t* c, int s, uint32_t want) {
  if (c->interest[s] == want || c->interest[s] == REMOVED) return;
  if (want == 0 && c->eof[s] && c->shut_wr[s]) {
    // Both directions of this socket are over: epoll would keep reporting EPOLLHUP for it.
    epoll_ctl(e->ep, EPOLL_CTL_DEL, c->fd[s], NULL);
    c->interest[s] = REMOVED;
    return;
  }
  struct epoll_event ev = { .events = want, .data.u64 = ((uint64_t)c->index << 1) | (uint64_t)s };
  epoll_ctl(e->ep, EPOLL_CTL_MOD, c->fd[s], &ev);
  c->interest[s] = want;
}

static void reset_fd(int fd) {
  struct linger lg = { .l_onoff = 1, .l_linger = 0 };
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

// Ends a pair. A reset on one side is passed on as a reset to the other.
static void finish(worker_t* e, conn_t* c, int reason) {
  if (reason == END_CLIENT_RESET) reset_fd(c->fd[1]);
  if (reason == END_BACKEND_RESET) reset_fd(c->fd[0]);
  for (int s = 0; s < 2; s++) {
    if (c->interest[s] != REMOVED) epoll_ctl(e->ep, EPOLL_CTL_DEL, c->fd[s], NULL);
    close(c->fd[s]);
    free(c->pend[s].data);
  }
  push_closed(e, c, reason);
  e->conns[c->index] = NULL;
  free(c);
}

static int is_reset(int err) { return err == ECONNRESET || err == EPIPE || err == ETIMEDOUT || err == EHOSTUNREACH; }

static void maybe_done(worker_t* e, conn_t* c) {
  if (c->eof[0] && c->eof[1] && c->pend[0].len == 0 && c->pend[1].len == 0) finish(e, c, END_DONE);
}

// Writes what side s has pending to side 1-s. Returns -1 when the pair was finished.
static int flush_pending(worker_t* e, conn_t* c, int s) {
  pending_t* p = &c->pend[s];
  int t = 1 - s;
  while (p->len > 0) {
    ssize_t w = send(c->fd[t], p->data + p->off, p->len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      finish(e, c, t == 0 ? END_CLIENT_RESET : END_BACKEND_RESET);
      return -1;
    }
    p->off += (size_t)w;
    p->len -= (size_t)w;
    c->bytes[s] += (uint64_t)w;
  }
  if (p->len == 0) {
    p->off = 0;
    if (c->eof[s] && !c->shut_wr[t]) {
      shutdown(c->fd[t], SHUT_WR);
      c->shut_wr[t] = 1;
    }
  }
  return 0;
}

static void update_interest(worker_t* e, conn_t* c) {
  for (int s = 0; s < 2; s++) {
    uint32_t want = 0;
    if (!c->eof[s] && c->pend[s].len == 0) want |= EPOLLIN;  // read s only when nothing of s is waiting
    if (c->pend[1 - s].len > 0) want |= EPOLLOUT;            // bytes waiting to be written to s
    set_interest(e, c, s, want);
  }
}

static void on_readable(worker_t* e, conn_t* c, int s) {
  int t = 1 - s;
  ssize_t n = recv(c->fd[s], e->buf, BUF_SIZE, 0);
  if (n > 0) {
    ssize_t w = send(c->fd[t], e->buf, (size_t)n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        finish(e, c, t == 0 ? END_CLIENT_RESET : END_BACKEND_RESET);
        return;
      }
      w = 0;
    }
    c->bytes[s] += (uint64_t)w;
    if (w < n) {
      pending_t* p = &c->pend[s];
      if (!p->data) p->data = malloc(BUF_SIZE);
      if (!p->data) {
        finish(e, c, END_ERROR);
        return;
      }
      memcpy(p->data, e->buf + w, (size_t)(n - w));
      p->off = 0;
      p->len = (size_t)(n - w);
    }
  } else if (n == 0) {
    c->eof[s] = 1;
    if (c->pend[s].len == 0 && !c->shut_wr[t]) {
      shutdown(c->fd[t], SHUT_WR);
      c->shut_wr[t] = 1;
    }
  } else {
    if (errno == EAGAIN || errno == EINTR) return;
    finish(e, c, is_reset(errno) ? (s == 0 ? END_CLIENT_RESET : END_BACKEND_RESET) : END_ERROR);
    return;
  }
  // A peer that closed both ways while we still had bytes for it: nothing more can be done.
  update_interest(e, c);
  maybe_done(e, c);
}

static void add_conn(worker_t* e, cmd_t* cmd) {
  uint32_t index = cmd->slot / (uint32_t)e->nworkers;
  if (index >= e->nconns) {
    size_t n = e->nconns ? e->nconns : 1024;
    while (n <= index) n *= 2;
    conn_t** nc = realloc(e->conns, n * sizeof(conn_t*));
    if (!nc) {
      close(cmd->fd[0]);
      close(cmd->fd[1]);
      return;
    }
    memset(nc + e->nconns, 0, (n - e->nconns) * sizeof(conn_t*));
    e->conns = nc;
    e->nconns = n;
  }
  conn_t* c = calloc(1, sizeof *c);
  if (!c) {
    close(cmd->fd[0]);
    close(cmd->fd[1]);
    return;
  }
  c->slot = cmd->slot;
  c->index = index;
  c->fd[0] = cmd->fd[0];
  c->fd[1] = cmd->fd[1];
  e->conns[index] = c;
  for (int s = 0; s < 2; s++) {
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ((uint64_t)c->index << 1) | (uint64_t)s };
    epoll_ctl(e->ep, EPOLL_CTL_ADD, c->fd[s], &ev);
    c->interest[s] = EPOLLIN;
  }
}

static int run_commands(worker_t* e) {
  pthread_mutex_lock(&e->mu);
  cmd_t* cmd = e->head;
  e->head = e->tail = NULL;
  int stop = e->stop_requested;
  pthread_mutex_unlock(&e->mu);
  while (cmd) {
    cmd_t* next = cmd->next;
    switch (cmd->kind) {
      case CMD_ADD:
        add_conn(e, cmd);
        break;
      case CMD_CLOSE: {
        uint32_t index = cmd->slot / (uint32_t)e->nworkers;
        if (index < e->nconns && e->conns[index]) finish(e, e->conns[index], END_CLOSED_BY_AGENT);
        break;
      }
      case CMD_WATCH: {
        struct epoll_event ev = { .events = EPOLLIN, .data.u64 = LISTEN_BIT | ((uint64_t)cmd->fd[0] << 32) | cmd->slot };
        epoll_ctl(e->ep, EPOLL_CTL_ADD, cmd->fd[0], &ev);
        break;
      }
      case CMD_UNWATCH:
        epoll_ctl(e->ep, EPOLL_CTL_DEL, cmd->fd[0], NULL);
        close(cmd->fd[0]);
        break;
    }
    free(cmd);
    cmd = next;
  }
  return stop;
}

static void* worker(void* arg) {
  worker_t* e = arg;
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(e->ep, evs, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    int stop = 0;
    for (int i = 0; i < n; i++) {
      uint64_t d = evs[i].data.u64;
      if (d != CMD_DATA && (d & LISTEN_BIT)) {
        on_listener(e, (uint32_t)(d & 0xffffffffu), (int)((d >> 32) & 0x3fffffff));
        continue;
      }
      if (d == CMD_DATA) {
        uint64_t v;
        ssize_t r = read(e->evfd, &v, sizeof v);
        (void)r;
        stop |= run_commands(e);
        continue;
      }
      uint32_t index = (uint32_t)(d >> 1);
      int s = (int)(d & 1);
      conn_t* c = index < e->nconns ? e->conns[index] : NULL;
      if (!c) continue;  // finished earlier in this round
      uint32_t ev = evs[i].events;
      if (ev & EPOLLOUT) {
        if (flush_pending(e, c, 1 - s) < 0) continue;
        update_interest(e, c);
        maybe_done(e, c);
        if (!(c = e->conns[index])) continue;
      }
      if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        if (c->eof[s] || c->pend[s].len > 0) {
          // Not reading this side now. An error on it is a reset by that peer; a hang-up
          // means it can take no more bytes, so what is pending for it is undeliverable.
          // (A hang-up while its own bytes wait for the other side is left until they drain.)
          if ((ev & EPOLLERR) || ((ev & EPOLLHUP) && c->eof[s])) finish(e, c, s == 0 ? END_CLIENT_RESET : END_BACKEND_RESET);
          continue;
        }
        on_readable(e, c, s);
      }
    }
    flush_events(e);
    if (stop) break;
  }
  for (size_t i = 0; i < e->nconns; i++) {
    if (e->conns[i]) finish(e, e->conns[i], END_CLOSED_BY_AGENT);
  }
  flush_events(e);
  return NULL;
}

static void wake(worker_t* e) {
  uint64_t one = 1;
  ssize_t r = write(e->evfd, &one, sizeof one);
  (void)r;
}

static void enqueue(worker_t* e, cmd_t* cmd) {
  if (!cmd) return;  // out of memory: the command is dropped (JS sees the pair as open)
  cmd->next = NULL;
  pthread_mutex_lock(&e->mu);
  if (e->tail) e->tail->next = cmd;
  else e->head = cmd;
  e->tail = cmd;
  pthread_mutex_unlock(&e->mu);
  wake(e);
}

// ---- N-API glue ----

#define CHECK(call)                                                      \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      napi_throw_error(env, "EKEMUNATIVE", "kemu forwarder: " #call);    \
      return NULL;                                                       \
    }                                                                    \
  } while (0)

static void call_js(napi_env env, napi_value js_cb, void* context, void* data) {
  (void)context;
  event_batch_t* b = data;
  if (env != NULL && js_cb != NULL) {
    napi_value ab, arr, undef;
    void* mem;
    if (napi_create_arraybuffer(env, b->n * REC * sizeof(double), &mem, &ab) == napi_ok) {
      memcpy(mem, b->rec, b->n * REC * sizeof(double));
      napi_create_typedarray(env, napi_float64_array, b->n * REC, ab, 0, &arr);
      napi_get_undefined(env, &undef);
      napi_call_function(env, undef, js_cb, 1, &arr, NULL);
    }
  }
  free(b->rec);
  free(b);
}

typedef struct engine {
  worker_t* workers;
  int nworkers;
  napi_threadsafe_function tsfn;
  int stopped;
} engine_t;

static worker_t* worker_for_slot(engine_t* e, uint32_t slot) { return &e->workers[slot % (uint32_t)e->nworkers]; }

static engine_t* get_engine(napi_env env, napi_value v) {
  void* p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "EKEMUNATIVE", "kemu forwarder: not an engine");
    return NULL;
  }
  return p;
}

// create(onEvents, threads): `threads` 0 means one per online core, at most 8.
static napi_value js_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t threads = 0;
  if (argc >= 2) CHECK(napi_get_value_uint32(env, argv[1], &threads));
  if (threads == 0) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cores < 1 ? 1 : (uint32_t)cores;
  }
  if (threads > 8) threads = 8;
  engine_t* e = calloc(1, sizeof *e);
  worker_t* ws = calloc(threads, sizeof *ws);
  char* bufs = malloc((size_t)threads * BUF_SIZE);
  if (!e || !ws || !bufs) {
    free(e);
    free(ws);
    free(bufs);
    napi_throw_error(env, "ENOMEM", "kemu forwarder: out of memory");
    return NULL;
  }
  e->workers = ws;
  e->nworkers = (int)threads;
  napi_value name;
  CHECK(napi_create_string_utf8(env, "kemu-forwarder", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, NULL, call_js, &e->tsfn));
  // The engine threads must not keep the process alive by themselves; JS holds it via its listeners.
  CHECK(napi_unref_threadsafe_function(env, e->tsfn));
  for (int i = 0; i < e->nworkers; i++) {
    worker_t* w = &ws[i];
    w->index = i;
    w->nworkers = e->nworkers;
    w->tsfn = e->tsfn;
    w->buf = bufs + (size_t)i * BUF_SIZE;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->reserve_fd = i == 0 ? open("/dev/null", O_RDONLY | O_CLOEXEC) : -1;
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&w->mu, NULL);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = CMD_DATA };
    epoll_ctl(w->ep, EPOLL_CTL_ADD, w->evfd, &ev);
    pthread_create(&w->thread, NULL, worker, w);
  }
  napi_value ext;
  CHECK(napi_create_external(env, e, NULL, NULL, &ext));
  return ext;
}

static napi_value js_add(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t* e = get_engine(env, argv[0]);
  if (!e) return NULL;
  uint32_t slot;
  int32_t a, b;
  bool owned = false;
  CHECK(napi_get_value_uint32(env, argv[1], &slot));
  CHECK(napi_get_value_int32(env, argv[2], &a));
  CHECK(napi_get_value_int32(env, argv[3], &b));
  if (argc >= 5) CHECK(napi_get_value_bool(env, argv[4], &owned));
  int fa = owned ? a : fcntl(a, F_DUPFD_CLOEXEC, 3);
  int fb = fa < 0 ? -1 : fcntl(b, F_DUPFD_CLOEXEC, 3);
  if (fa < 0 || fb < 0) {
    int err = errno;
    if (fa >= 0 && !owned) close(fa);
    napi_throw_error(env, err == EMFILE ? "EMFILE" : "EKEMUNATIVE", strerror(err));
    return NULL;
  }
  int one = 1;
  for (int i = 0; i < 2; i++) {
    int fd = i ? fb : fa;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  cmd_t* cmd = calloc(1, sizeof *cmd);
  if (!cmd) {
    close(fa);
    close(fb);
    napi_throw_error(env, "ENOMEM", "kemu forwarder: out of memory");
    return NULL;
  }
  cmd->kind = CMD_ADD;
  cmd->slot = slot;
  cmd->fd[0] = fa;
  cmd->fd[1] = fb;
  enqueue(worker_for_slot(e, slot), cmd);
  return NULL;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t* e = get_engine(env, argv[0]);
  if (!e) return NULL;
  uint32_t slot;
  CHECK(napi_get_value_uint32(env, argv[1], &slot));
  cmd_t* cmd = calloc(1, sizeof *cmd);
  if (cmd) {
    cmd->kind = CMD_CLOSE;
    cmd->slot = slot;
  }
  enqueue(worker_for_slot(e, slot), cmd);
  return NULL;
}

static napi_value js_watch_cmd(napi_env env, napi_callback_info info, cmd_kind kind) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t* e = get_engine(env, argv[0]);
  if (!e) return NULL;
  uint32_t id;
  int32_t fd;
  CHECK(napi_get_value_uint32(env, argv[1], &id));
  CHECK(napi_get_value_int32(env, argv[2], &fd));
  cmd_t* cmd = calloc(1, sizeof *cmd);
  if (cmd) {
    cmd->kind = kind;
    cmd->slot = id;
    cmd->fd[0] = fd;
  }
  enqueue(&e->workers[0], cmd);
  return NULL;
}

static napi_value js_watch(napi_env env, napi_callback_info info) { return js_watch_cmd(env, info, CMD_WATCH); }
static napi_value js_unwatch(napi_env env, napi_callback_info info) { return js_watch_cmd(env, info, CMD_UNWATCH); }

static napi_value js_reset(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  reset_and_close(fd);
  return NULL;
}

// Stops the engine threads: every pair still open is closed and reported first.
static napi_value js_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  engine_t* e = get_engine(env, argv[0]);
  if (!e || e->stopped) return NULL;
  e->stopped = 1;
  for (int i = 0; i < e->nworkers; i++) {
    worker_t* w = &e->workers[i];
    pthread_mutex_lock(&w->mu);
    w->stop_requested = 1;
    pthread_mutex_unlock(&w->mu);
    wake(w);
  }
  for (int i = 0; i < e->nworkers; i++) {
    worker_t* w = &e->workers[i];
    pthread_join(w->thread, NULL);
    close(w->ep);
    close(w->evfd);
    if (w->reserve_fd >= 0) close(w->reserve_fd);
  }
  napi_release_threadsafe_function(e->tsfn, napi_tsfn_release);
  return NULL;
}

// A listening socket with SO_REUSEPORT, so that several agents sharing one loopback can all
// serve the same ClusterIP:port (the kernel spreads connections over them). Returns the fd;
// Node wraps it (net.Server#listen({ fd }), dgram bind({ fd })).
static napi_value js_listen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char ip[64];
  size_t iplen;
  uint32_t port;
  bool udp;
  CHECK(napi_get_value_string_utf8(env, argv[0], ip, sizeof ip, &iplen));
  CHECK(napi_get_value_uint32(env, argv[1], &port));
  CHECK(napi_get_value_bool(env, argv[2], &udp));
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) {
    napi_throw_error(env, "EINVAL", "kemu forwarder: not an IPv4 address");
    return NULL;
  }
  int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 || bind(fd, (struct sockaddr*)&a, sizeof a) < 0 ||
      (!udp && listen(fd, 4096) < 0)) {
    int err = errno;
    if (fd >= 0) close(fd);
    napi_value msg, code, error;
    char text[160];
    snprintf(text, sizeof text, "listen %s %s:%u: %s", udp ? "udp" : "tcp", ip, port, strerror(err));
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
    napi_create_string_utf8(env, err == EADDRINUSE ? "EADDRINUSE" : "ELISTEN", NAPI_AUTO_LENGTH, &code);
    napi_create_error(env, code, msg, &error);
    napi_throw(env, error);
    return NULL;
  }
  napi_value out;
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

// Raises the soft open-file limit to the hard one and returns the new soft limit.
static napi_value js_raise_nofile(napi_env env, napi_callback_info info) {
  (void)info;
  struct rlimit rl;
  napi_value out;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  CHECK(napi_create_double(env, (double)rl.rlim_cur, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "create", NULL, js_create, NULL, NULL, NULL, napi_default, NULL },
    { "add", NULL, js_add, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
    { "stop", NULL, js_stop, NULL, NULL, NULL, napi_default, NULL },
    { "listen", NULL, js_listen, NULL, NULL, NULL, napi_default, NULL },
    { "watch", NULL, js_watch, NULL, NULL, NULL, napi_default, NULL },
    { "unwatch", NULL, js_unwatch, NULL, NULL, NULL, napi_default, NULL },
    { "reset", NULL, js_reset, NULL, NULL, NULL, napi_default, NULL },
    { "raiseNofile", NULL, js_raise_nofile, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
