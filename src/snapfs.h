/*
 * snapfs: mount Apache Doris backup repositories as a read-only tree.
 *
 * The one internal header: forward declarations, the few structs shared
 * between modules, and every module's prototypes grouped by file and
 * the files by layer, lower layers first (README has the map of the
 * source).  No library type (fuse_req_t, CURL *, EVP_MD_CTX *)
 * appears here; each library is included by exactly one .c file.
 */

#ifndef SNAPFS_H
#define SNAPFS_H

#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SNAPFS_VERSION	PACKAGE_VERSION

struct batch;
struct broker;
struct buf;
struct cache;
struct data_db;
struct data_root;
struct dcache;
struct handle;
struct info;
struct job;
struct jobs;
struct fs_notifier;
struct json;
struct snapfs;
struct tree;
struct view;

/* Caps on sizes that come from storage, before anything is allocated. */
#define INFO_MAX	(1024ULL * 1024 * 1024)	/* largest info object read */
#define SMALL_OBJECT_MAX (4U * 1024 * 1024)	/* checked whole before use */
#define NAME_MAX_BYTES	255			/* longest name shown */

/* ---- Utilities ---- */

/* xmalloc.c */
void		*xmalloc(size_t);
void		*xcalloc(size_t, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
char		*xstrndup(const char *, size_t);
int		 xasprintf(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* clock.c: the monotonic clock, real time, deadlines of timed waits */
uint64_t	 monotonic_ms(void);
uint64_t	 monotonic_us(void);
int64_t		 realtime_ns(void);
void		 deadline_in(struct timespec *, unsigned);

/* buf.c: a growable byte buffer with a hard cap */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 size;
	size_t	 max;		/* adding past this fails with -EFBIG */
};
void		 buf_init(struct buf *, size_t);
int		 buf_add(struct buf *, const void *, size_t);
int		 buf_addc(struct buf *, char);
int		 buf_printf(struct buf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
char		*buf_take(struct buf *);
void		 buf_free(struct buf *);

/* file.c: local files, reached beneath an open folder, no link followed */
int		 file_open(int, const char *, int, mode_t);
int		 file_parent(int, const char *, const char **);
int		 file_write_all(int, const void *, size_t);
int		 file_read_all(int, const char *, struct buf *);
int		 file_replace(int, const char *, const void *, size_t, mode_t,
		    bool);
int		 file_mkdirs(int, const char *, mode_t);
void		 file_remove_tree(int, const char *);

/* log.c */
void		 log_open(bool, bool);
bool		 log_debug_enabled(void);
void		 log_debug(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_info(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_warn(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
void		 log_vmsg(int, const char *, va_list);
const char	*log_safe(const char *, size_t, char *, size_t);
__attribute__((noreturn)) void fatal(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void fatalx(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* stats.c: counters shown in /stats.json */
enum stat_counter {
	STAT_LIST_REQUESTS,
	STAT_STAT_REQUESTS,
	STAT_READ_REQUESTS,
	STAT_BYTES_READ,
	STAT_WRITE_REQUESTS,
	STAT_BYTES_WRITTEN,
	STAT_CACHE_HITS,
	STAT_CACHE_MISSES,
	STAT_CACHE_BYTES,
	STAT_WARM_HITS,
	STAT_MD5_CHECKED,
	STAT_MD5_ERRORS,
	STAT_ERRORS,
	STAT_SNAPSHOTS_LOADED,
	STAT_NODES,
	STAT_META_BYTES,
	STAT_TREES_EVICTED,
	STAT_TEXT_BYTES,
	STAT_TEXTS_EVICTED,
	STAT_BACKUPS_LISTED,
	STAT__COUNT
};
void		 stats_add(enum stat_counter, uint64_t);
uint64_t	 stats_get(enum stat_counter);
char		*stats_render(size_t *);

/* idmap.c: 64-bit ids to pointers, an open-addressing table */
struct idmap {
	struct idmap_slot *slots;
	size_t		 mask;
	size_t		 count;
};
void		 idmap_init(struct idmap *, size_t);
void		 idmap_free(struct idmap *, void (*)(void *));
void		*idmap_get(const struct idmap *, uint64_t);
void		*idmap_put(struct idmap *, uint64_t, void *);
void		*idmap_del(struct idmap *, uint64_t);
void		*idmap_next(const struct idmap *, size_t *);
size_t		 idmap_count(const struct idmap *);

/* pool.c: worker threads over n items, or for a task */
typedef int (*pool_fn)(void *, size_t);
typedef bool (*pool_stop_fn)(void *);
typedef void (*pool_task_fn)(void *);
void		 pool_spawn(pool_task_fn, void *);
int		 pool_run(size_t, size_t, pool_fn, void *, pool_stop_fn,
		    void *);

/* digest.c: md5 (the Doris checksum), SHA-256 and HMAC over libcrypto */
#define MD5_HEX_LEN	32
struct md5;
struct md5	*digest_md5_create(void);
void		 digest_md5_update(struct md5 *, const void *, size_t);
void		 digest_md5_final(struct md5 *, char [MD5_HEX_LEN + 1]);
void		 digest_md5_free(struct md5 *);
void		 digest_md5_hex(const void *, size_t, char [MD5_HEX_LEN + 1]);
#define FNV_BASIS	14695981039346656037ULL
uint64_t	 digest_fnv(uint64_t, const void *, size_t);
#define MD5_BASE64_LEN	24
void		 digest_md5_base64(const char [MD5_HEX_LEN],
		    char [MD5_BASE64_LEN + 1]);
#define SHA256_HEX_LEN	64
void		 digest_sha256_hex(const void *, size_t,
		    char [SHA256_HEX_LEN + 1]);
void		 digest_hmac_sha256(const void *, size_t, const void *, size_t,
		    unsigned char [32]);
void		 digest_hex(const unsigned char *, size_t, char *);
void		 digest_base64_encode(const void *, size_t, char *);
int		 digest_base64_decode(const char *, size_t, unsigned char *);

/* json.c: a pull reader over a buffer, nothing allocated per value */
enum json_type {
	JSON_ERROR,
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL
};
#define JSON_DEPTH_MAX	64
struct json {
	const char	*start;
	const char	*p;
	const char	*end;
	int		 depth;
	bool		 first;		/* no member read yet at this level */
	struct buf	 key;		/* last key, decoded, NUL-terminated */
	struct buf	 str;		/* last string value, decoded */
	char		 error[160];
};
void		 json_init(struct json *, const char *, size_t);
void		 json_free(struct json *);
enum json_type	 json_peek(struct json *);
int		 json_object_begin(struct json *);
int		 json_object_next(struct json *, const char **);
int		 json_array_begin(struct json *);
int		 json_array_next(struct json *);
int		 json_string(struct json *, const char **, size_t *);
int		 json_int(struct json *, int64_t *);
int		 json_bool(struct json *, bool *);
int		 json_skip(struct json *);
int		 json_finish(struct json *);
void		 json_quote(struct buf *, const char *, size_t);

/* ---- The Doris formats: keys, job info, tablet headers ---- */

/* layout.c: the keys of a Doris repository location, built and parsed */
#define LAYOUT_TS_MAX	32	/* a timestamp, as a backup's is written */
struct layout_tablet {
	int64_t		 db;
	int64_t		 table;
	int64_t		 partition;
	int64_t		 index;
	int64_t		 tablet;
};
const char	*layout_repo_name(const char *);
char		*layout_repo_key(const char *);
char		*layout_repo_info(const char *);
bool		 layout_is_repo_info(const char *);
const char	*layout_label(const char *);
char		*layout_snapshot_name(const char *);
char		*layout_snapshot_dir(const char *, const char *);
bool		 layout_is_snapshot_dir(const char *);
bool		 layout_md5_is_hex(const char *, size_t);
size_t		 layout_md5_suffix(const char *, size_t);
bool		 layout_info(const char *, const char **, size_t *, bool *);
char		*layout_info_name(const char *, const char *);
bool		 layout_global_info(const char *, const char **, size_t *);
void		 layout_timestamp(time_t, char [LAYOUT_TS_MAX]);
bool		 layout_is_meta(const char *);
char		*layout_meta_name(const char *);
bool		 layout_in_content(const char *);
const char	*layout_content(void);
char		*layout_table_key(int64_t, int64_t);
char		*layout_partition_key(int64_t);
char		*layout_tablet_key(int64_t, int64_t);
char		*layout_tablet_dir(const struct layout_tablet *);
bool		 layout_tablet_file(const char *, struct layout_tablet *,
		    const char **);
bool		 layout_is_manifest(const char *);
int		 layout_manifest_next(const char **, const char *,
		    const char **, size_t *);
const char	*layout_name_bad(const char *);
bool		 layout_number(const char *, int64_t, int64_t *);

/* info.c: the Doris job-info JSON (__info_<timestamp>.<md5>) */
struct info_index {
	char		*name;
	int64_t		 id;
	int64_t		 schema_hash;
	int64_t		*tablets;	/* keys of "tablets", as read */
	size_t		 ntablets;
	int64_t		*order;		/* tablets_order, or sorted ids */
	size_t		 norder;
	char		**files;	/* info_parse_files: per tablet, its
					   names, each ending in '\n' */
};
struct info_partition {
	char			*name;
	int64_t			 id;
	int64_t			 version;
	struct info_index	*indexes;
	size_t			 nindexes;
};
struct info_table {
	char			*name;
	int64_t			 id;
	struct info_partition	*partitions;
	size_t			 npartitions;
};
struct info_view {
	char		*name;
	int64_t		 id;
};
struct info {
	char			*name;		/* label */
	char			*database;
	int64_t			 id;		/* database id */
	int64_t			 backup_time;	/* ms since the epoch */
	char			*content;	/* ALL, METADATA_ONLY */
	int64_t			 meta_version;
	struct info_table	*tables;
	size_t			 ntables;
	struct info_view	*views;
	size_t			 nviews;
	char			**odbc_tables;
	size_t			 nodbc_tables;
	char			**odbc_resources;
	size_t			 nodbc_resources;
};
int		 info_parse(const char *, size_t, struct info **, char **);
int		 info_parse_files(const char *, size_t, struct info **,
		    char **);
void		 info_free(struct info *);
char		*info_details(const struct info *, size_t *);

/* info-write.c: the job-info JSON, as a Doris 3.0 writer emits it */
char		*info_write(const struct info *, size_t *);

/* tablet.c: the tablet header (<tabletId>.hdr), decoded */
int		 tablet_text(const void *, size_t, char **, size_t *, char **);
int		 tablet_text_for(const void *, size_t, int64_t, char **,
		    size_t *, char **);

/* ---- Storage: the broker interface and its backends ---- */

/* http.c: requests over libcurl, retried with backoff */
#define HTTP_HEADERS_MAX 16
#define HTTP_ATTEMPTS	4	/* a dead endpoint fails within about 60 s */
struct http;
struct http_request {
	const char	*method;
	char		*url;		/* owned */
	const char	*log_name;	/* what to call it in messages */
	char		*headers[HTTP_HEADERS_MAX];	/* "Name: value" */
	int		 nheaders;
	const void	*body;
	size_t		 bodylen;
	struct buf	*out;		/* the response body, capped */
	char		*into;		/* or into this memory, */
	size_t		 intolen;	/* at most this much */
	size_t		 got;		/* out: how much came */
	volatile bool	*abort;		/* set: give up (-EINTR), or NULL */
	bool		 once;		/* one attempt of 5 s at most */
	bool		 quiet;		/* the caller says why (http_do) */
	int		 fail;		/* -errno: not sent (no keys to sign) */
	long		 status;	/* the answer */
	uint64_t	 length;	/* Content-Length */
	int64_t		 mtime;		/* Last-Modified, ns */
	char		 etag[128];
	char		 bucket_region[64];	/* x-amz-bucket-region */
	char		 why[400];	/* why no answer came, if none */
};
struct http	*http_create(const char *);
void		 http_free(struct http *);
void		 http_header(struct http_request *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 http_request_free(struct http_request *);
int		 http_status(const struct http_request *, const char *,
		    char **);
bool		 http_range(const struct http_request *, uint64_t, size_t,
		    size_t, ssize_t *);
int		 http_do(struct http *, struct http_request *, const char *,
		    char **);
typedef void (*http_done_cb)(void *, int);
void		 http_submit(struct http *, struct http_request *,
		    http_done_cb, void *);

/* sigv4.c */
struct sigv4_key {
	char	*access_key;
	char	*secret;
	char	*token;		/* a session token, or NULL */
	char	*region;
};
void		 sigv4_encode(struct buf *, const char *, size_t, bool);
void		 sigv4_sign(const struct sigv4_key *, struct http_request *,
		    const char *, const char *, const char *, const char *,
		    time_t);

/* xml.c: S3 answers, read with libxml2 */
typedef int (*xml_object_cb)(void *, const char *, uint64_t, int64_t);
typedef int (*xml_prefix_cb)(void *, const char *);
struct xml_list {
	xml_object_cb	 object;
	xml_prefix_cb	 prefix;
	void		*arg;
	bool		 truncated;	/* out: another page follows */
	char		*next;		/* out: its continuation token */
};
int		 xml_list(const char *, size_t, struct xml_list *, char **);
int		 xml_azure_list(const char *, size_t, struct xml_list *,
		    char **);
int		 xml_error(const char *, size_t, char **, char **);
int		 xml_upload_id(const char *, size_t, char **);
int		 xml_texts(const char *, size_t, const char *,
		    const char *const *, char **, size_t);

/* broker.c: the storage interface and its registry */
struct broker_entry {
	const char	*key;		/* full key below the location */
	bool		 is_dir;	/* a common prefix, key without '/' */
	bool		 special;	/* a link, FIFO, ...: no object */
	uint64_t	 size;
	int64_t		 mtime;		/* nanoseconds since the epoch */
};
struct broker_options {
	const char	*endpoint;	/* S3: http[s]://host[:port] */
	const char	*region;
	bool		 path_style;
	const char	*credentials;	/* an AWS shared-credentials file */
	const char	*profile;
	const char	*cafile;
	int		 list_chunk;	/* keys a listing page asks for; 0: most */
};

/* aws.c: S3 settings and static credentials, the AWS CLI's way */
int		 aws_ini_get(const char *, const char *, const char *, char **,
		    bool *, char **);
int		 aws_settings(const struct broker_options *, char **, char **,
		    char **);
int		 aws_credentials(const struct broker_options *,
		    struct sigv4_key *, char **, char **);
int		 aws_config_get(const struct broker_options *, const char *,
		    char **, char **);

/* azure-key.c: Azure Storage keys, Shared Key signatures */
struct azure_key {
	char		*account;
	unsigned char	*key;		/* decoded, or NULL */
	size_t		 keylen;
	char		*sas;		/* a SAS token, or NULL */
	char		*endpoint;	/* a connection string's, or NULL */
};
struct azure_param {
	const char	*name;		/* lowercase */
	const char	*value;		/* decoded */
};
int		 azure_key_open(const struct broker_options *, const char *,
		    struct azure_key *, char **, char **);
void		 azure_key_clear(struct azure_key *);
char		*azure_string_to_sign(const struct http_request *,
		    const char *, const char *, const struct azure_param *,
		    size_t);
void		 azure_sign(const struct azure_key *, struct http_request *,
		    const char *, const struct azure_param *, size_t, time_t);

/* aws-creds.c: the keys requests are signed with, renewed as they expire */
struct aws_creds;
int		 aws_time(const char *, time_t *);
int		 aws_creds_open(const struct broker_options *, const char *,
		    const char *, struct aws_creds **, char **);
void		 aws_creds_start(struct aws_creds *);
int		 aws_creds_sign(struct aws_creds *, const char *,
		    struct http_request *, const char *, const char *,
		    const char *, const char *);
const char	*aws_creds_from(const struct aws_creds *);
void		 aws_creds_close(struct aws_creds *);

typedef int (*broker_list_cb)(void *, const struct broker_entry *);
#define BROKER_RECURSIVE 0x1	/* list: every object below, no folders */
#define BROKER_SPECIAL	0x2	/* list: also entries that are no object */
typedef void (*broker_done_cb)(void *, ssize_t);
/*
 * Every operation but open and close takes the caller's abort flag (or
 * NULL): once it is set, the operation ends soon with -EINTR.
 */
struct broker_ops {
	const char	*name;
	bool		 logs;		/* logs each failure itself, with why */
	bool		 (*match)(const char *);
	int		 (*open)(const char *, const struct broker_options *,
			    struct broker **, char **);
	int		 (*list)(struct broker *, const char *, int,
			    broker_list_cb, void *, volatile bool *);
	int		 (*stat)(struct broker *, const char *,
			    struct broker_entry *, volatile bool *);
	ssize_t		 (*read)(struct broker *, const char *, void *,
			    size_t, uint64_t, volatile bool *);
	/* A read that completes later, or NULL where reads are cheap. */
	void		 (*fetch)(struct broker *, const char *, void *,
			    size_t, uint64_t, volatile bool *, broker_done_cb,
			    void *);
	int		 (*put)(struct broker *, const char *, const void *,
			    size_t, volatile bool *);
	int		 (*upload)(struct broker *, const char *, int,
			    uint64_t, volatile bool *);
	int		 (*remove)(struct broker *, const char *,
			    volatile bool *);
	/* Start its threads, once the daemon has forked, or NULL. */
	void		 (*start)(struct broker *);
	void		 (*close)(struct broker *);
};
struct broker {
	const struct broker_ops	*ops;
	char			*location;	/* as given, for messages */
};
int		 broker_open(const char *, const struct broker_options *,
		    struct broker **, char **);
bool		 broker_is_local(const char *);
int		 broker_list_object(const char *, const char *, uint64_t,
		    int64_t, broker_list_cb, void *);
int		 broker_list_prefix(const char *, const char *, const char *,
		    broker_list_cb, void *);
struct broker_pages {		/* a listing's pages so far */
	char		*seen;
	size_t		 n;
};
int		 broker_pages_next(struct broker_pages *, const char *,
		    const char *, char **);
void		 broker_start(struct broker *);
void		 broker_close(struct broker *);
int		 broker_list(struct broker *, const char *, int,
		    broker_list_cb, void *, volatile bool *);
int		 broker_stat(struct broker *, const char *,
		    struct broker_entry *, volatile bool *);
ssize_t		 broker_read(struct broker *, const char *, void *, size_t,
		    uint64_t, volatile bool *);
int		 broker_read_all(struct broker *, const char *, uint64_t,
		    struct buf *, volatile bool *);
bool		 broker_can_fetch(struct broker *);
void		 broker_fetch(struct broker *, const char *, void *, size_t,
		    uint64_t, volatile bool *, broker_done_cb, void *);
int		 broker_put(struct broker *, const char *, const void *,
		    size_t, volatile bool *);
int		 broker_upload(struct broker *, const char *, int, uint64_t,
		    volatile bool *);
int		 broker_remove(struct broker *, const char *, volatile bool *);
int		 broker_upload_read(int, void *, size_t, uint64_t, const char *);

/* broker-local.c, broker-s3.c, broker-azure.c */
extern const struct broker_ops broker_local_ops;
extern const struct broker_ops broker_s3_ops;
extern const struct broker_ops broker_azure_ops;

/* ---- The repository model ---- */

/* repo.c: the Doris repository model, read through the broker */
struct repo_folder {
	char		*name;		/* the repository's */
	char		*key;		/* its folder */
	int64_t		 mtime;
};
struct repo_folders {
	struct repo_folder *v;
	size_t		 n;
};
struct repo_object {
	char		*name;		/* below its folder */
	uint64_t	 size;
	int64_t		 mtime;
};
struct repo_snapshot {
	struct repo_object *infos;	/* sorted by name */
	size_t		 ninfos;
	struct repo_object meta;	/* name NULL: none */
	size_t		 nobjects;	/* everything at its top */
};
struct repo_place {
	int64_t			 tablet;
	const struct info_table	*table;
	const struct info_partition *part;
	const struct info_index	*index;
	uintptr_t		 aux;		/* the caller's */
};
struct repo_places {
	const struct info	*info;
	struct repo_place	*v;
	size_t			 n;
	struct idmap		 map;		/* tablet id -> place */
};
typedef int (*repo_chunk_cb)(void *, const char *, size_t);
int		 repo_folders(struct broker *, struct repo_folders *,
		    volatile bool *);
void		 repo_folders_free(struct repo_folders *);
int		 repo_snapshot(struct broker *, const char *,
		    struct repo_snapshot *, volatile bool *);
void		 repo_snapshot_free(struct repo_snapshot *);
const struct repo_object *repo_snapshot_info(const struct repo_snapshot *,
		    const char *);
char		*repo_timestamp(const char *);
int		 repo_read_checked(struct broker *, const char *, uint64_t,
		    struct buf *, volatile bool *, char **);
int		 repo_read_info(struct broker *, const char *, uint64_t, bool,
		    struct info **, volatile bool *, char **);
int		 repo_stream(struct broker *, const char *, uint64_t,
		    repo_chunk_cb, void *, volatile bool *,
		    char [MD5_HEX_LEN + 1]);
void		 repo_places_init(struct repo_places *, const struct info *);
void		 repo_places_free(struct repo_places *);
struct repo_place *repo_place_of(const struct repo_places *, int64_t);
struct repo_place *repo_place_find(const struct repo_places *, const char *,
		    const char **);

/* ---- The namespace and what fills it ---- */

/* tree.c: the namespace, built lazily in batches by loaders */
#define BATCH_TOP	UINT32_MAX	/* the directory being loaded */
#define BATCH_NONE	(UINT32_MAX - 1) /* a refused node; children go too */
enum node_type {
	NODE_DIR,
	NODE_FILE,	/* an object in storage */
	NODE_TEXT,	/* generated at load time, kept in the tree */
	NODE_DYNAMIC,	/* generated on open (stats.json, job files) */
	NODE_CTL,	/* a control file: lines written start jobs */
	NODE_TABLET	/* tablet.txt: decoded from its header object */
};
enum node_load {
	LOAD_NONE,
	LOAD_ROOT,
	LOAD_REPO,
	LOAD_SNAPSHOT,
	LOAD_RAW,
	LOAD_JOBS
};
struct tree_attr {
	uint64_t	 ino;
	enum node_type	 type;
	uint64_t	 size;
	int64_t		 mtime;
	uint32_t	 aux;		/* the loader's reference */
	bool		 immutable;	/* safe to cache for ever */
	bool		 private;	/* mode 0400, not 0444 */
};
struct tree_dir {
	enum node_load	 load;
	uint32_t	 aux;
	const char	*key;		/* storage prefix, may be "" */
	const char	*name;
	int64_t		 mtime;
	volatile bool	*abort;		/* the caller's, for the loader */
};
struct tree_object {
	char		*key;		/* full storage key, caller frees */
	uint64_t	 size;
	char		 md5[MD5_HEX_LEN + 1];	/* "" when not checked */
};
typedef int (*tree_load_cb)(void *, const struct tree_dir *, struct batch *,
		    char **);
/* What a tree_readdir_cb did with an entry. */
enum {
	TREE_ENTRY_ADDED,
	TREE_ENTRY_LOOKED_UP,		/* added; the kernel will forget it */
	TREE_ENTRY_FULL			/* not added: stop */
};
typedef int (*tree_readdir_cb)(void *, const char *,
		    const struct tree_attr *, uint64_t);
typedef void (*tree_notify_cb)(void *, uint64_t, const char *);

struct tree	*tree_create(tree_load_cb, void *);
void		 tree_free(struct tree *);
int		 tree_getattr(struct tree *, uint64_t, struct tree_attr *);
int		 tree_lookup(struct tree *, uint64_t, const char *,
		    struct tree_attr *, volatile bool *);
int		 tree_readdir(struct tree *, uint64_t, uint64_t,
		    tree_readdir_cb, void *, volatile bool *);
int		 tree_object(struct tree *, uint64_t, struct tree_object *);
int		 tree_text(struct tree *, uint64_t, char **, size_t *);
void		 tree_mark_checked(struct tree *, uint64_t, bool);
int		 tree_checked(struct tree *, uint64_t);
size_t		 tree_cousins(struct tree *, uint64_t, uint64_t *, size_t);
size_t		 tree_next_files(struct tree *, uint64_t, uint64_t *, size_t);
int		 tree_reload(struct tree *, uint64_t);
void		 tree_ref(struct tree *, uint64_t);
void		 tree_forget(struct tree *, uint64_t, uint64_t);
void		 tree_budget(struct tree *, size_t);
void		 tree_refresh_setup(struct tree *, time_t, tree_notify_cb,
		    void *);
void		 tree_stale(struct tree *, uint64_t);
int		 tree_refresh(struct tree *, uint64_t, volatile bool *);
int		 tree_relist(struct tree *, uint64_t);
#define REFRESH_DEFAULT	60	/* seconds a listing is good (-o refresh=) */
#define META_MEMORY_DEFAULT (256ULL * 1024 * 1024) /* -o meta_memory= */
size_t		 tree_nodes(struct tree *);

struct batch	*tree_batch_create(void);
void		 tree_batch_free(struct batch *);
uint32_t	 tree_add_dir(struct batch *, uint32_t, const char *, int64_t,
		    enum node_load, const char *, uint32_t);
uint32_t	 tree_add_file(struct batch *, uint32_t, const char *,
		    const char *, uint64_t, int64_t);
uint32_t	 tree_add_tablet(struct batch *, uint32_t, const char *,
		    const char *, uint64_t, int64_t);
uint32_t	 tree_add_text(struct batch *, uint32_t, const char *,
		    const char *, size_t, int64_t);
uint32_t	 tree_add_dynamic(struct batch *, uint32_t, const char *,
		    uint32_t);
uint32_t	 tree_add_ctl(struct batch *, uint32_t, const char *, uint32_t);
void		 tree_batch_mutable(struct batch *, uint32_t);
void		 tree_batch_refreshable(struct batch *, uint32_t);
void		 tree_batch_private(struct batch *, uint32_t);
void		 tree_batch_mtime(struct batch *, int64_t);
void		 tree_batch_touch(struct batch *, uint32_t, int64_t);
size_t		 tree_batch_count(struct batch *);

/* view.c: what the mount shows of the repositories, as tree batches */
struct view;
struct view	*view_create(struct broker *);
void		 view_free(struct view *);
int		 view_load(struct view *, const struct tree_dir *,
		    struct batch *, char **);
char		*view_render_tsv(struct view *, uint32_t, size_t *, int64_t *);

/* view-snapshot.c: a snapshot folder, from its info */
int		 view_snapshot_load(struct broker *, const struct tree_dir *,
		    const char *, const char *, const struct repo_object *,
		    struct batch *, char **, char **);
void		 view_verified(struct view *, const char *, const char *,
		    const char *, const char *);

/* raw.c: the .raw view, every object at its exact key */
int		 raw_load(struct broker *, const struct tree_dir *,
		    struct batch *);

/* hdrtext.c: tablet.txt, decoded on first use and kept within a bound */
struct hdrtext;
struct hdrtext	*hdrtext_create(struct cache *, struct tree *, size_t);
void		 hdrtext_free(struct hdrtext *);
int		 hdrtext_get(struct hdrtext *, uint64_t, bool, char **,
		    size_t *, volatile bool *);
void		 hdrtext_wake(struct hdrtext *);

/* ---- The read path ---- */

/* budget.c: the global memory budget for file bytes (-o memory=) */
#define MEMORY_DEFAULT	(256ULL * 1024 * 1024)
#define MEMORY_MIN	(1024ULL * 1024)
struct budget;
struct budget	*budget_create(size_t);
void		 budget_free(struct budget *);
bool		 budget_try(struct budget *, size_t);
bool		 budget_try_spare(struct budget *, size_t);
void		 budget_take(struct budget *, size_t);
void		 budget_give(struct budget *, size_t);
size_t		 budget_max(struct budget *);
size_t		 budget_used(struct budget *);
size_t		 budget_peak(struct budget *);

/* window.c: sequential detection, the read-ahead window of a file */
#define WINDOW_MIN	(1024U * 1024)		/* the first window */
#define WINDOW_MAX	(32U * 1024 * 1024)	/* the largest, link unknown */
#define WINDOW_CEIL	(128U * 1024 * 1024)	/* the largest, far link */
#define WINDOW_GOAL	1000000000ULL		/* bytes/s a window is sized for */
#define WINDOW_BACK	(1024U * 1024)		/* still sequential */
#define WINDOW_FORWARD	(1024U * 1024)
#define WINDOW_EPOCH	10000			/* ms a least chunk time counts */
struct window {
	uint64_t	 next;		/* where the reader is expected */
	uint64_t	 size;		/* 0: random reads */
	uint64_t	 used;		/* read since the window last grew */
	uint64_t	 max;		/* the largest, for this link */
	uint64_t	 cap;		/* the largest, for the memory */
	bool		 whole;		/* the run began at the first byte */
};
struct window_link {			/* the time a chunk takes to arrive */
	uint64_t	 least[2];	/* us, this epoch and the last; 0: none */
	uint64_t	 epoch;		/* ms / WINDOW_EPOCH of least[0] */
};
void		 window_init(struct window *, uint64_t);
bool		 window_sequential(const struct window *, uint64_t);
uint64_t	 window_update(struct window *, uint64_t, size_t);
void		 window_fit(struct window *, uint64_t, uint64_t);
void		 window_link_seen(struct window_link *, uint64_t, uint64_t);
uint64_t	 window_link_time(const struct window_link *);

/* lru.c: the disk cache's index, least recently used first out */
struct lru;
struct lru	*lru_create(void);
void		 lru_free(struct lru *);
void		 lru_touch(struct lru *, const char *, uint64_t, int64_t);
bool		 lru_has(struct lru *, const char *);
uint64_t	 lru_remove(struct lru *, const char *);
uint64_t	 lru_total(const struct lru *);
size_t		 lru_count(const struct lru *);
size_t		 lru_evict(struct lru *, uint64_t,
		    void (*)(void *, const char *), void *);

/* dcache.c: the disk cache (-o cache_dir=,cache_size=) */
/*
 * A block is also the range a read-ahead GET asks for: radosgw served a
 * cold GiB in 1 MiB ranges at 255-286 MB/s, in 4 MiB ones at 339-367,
 * for less of the daemon's CPU.
 */
#define DCACHE_BLOCK	(4U * 1024 * 1024)
#define CACHE_SIZE_DEFAULT (1024ULL * 1024 * 1024)
struct dcache;
int		 dcache_open(const char *, uint64_t, struct budget *,
		    struct dcache **, char **);
void		 dcache_close(struct dcache *);
void		 dcache_id(const char *, const char *,
		    char [SHA256_HEX_LEN + 1]);
bool		 dcache_has(struct dcache *, const char *, uint64_t);
int		 dcache_get(struct dcache *, const char *, uint64_t, void *,
		    size_t);
void		 dcache_put(struct dcache *, const char *, uint64_t, char *,
		    size_t);
bool		 dcache_good(struct dcache *, const char *);
void		 dcache_verdict(struct dcache *, const char *, uint64_t, bool);

/* cache-warm.c: small files fetched ahead of a walk */
struct cache_warm;
struct cache_warm *cache_warm_create(struct broker *, struct tree *,
		    struct budget *);
void		 cache_warm_free(struct cache_warm *);
char		*cache_warm_take(struct cache_warm *, uint64_t, size_t);
void		 cache_warm_ahead(struct cache_warm *, uint64_t,
		    struct dcache *);

/* cache.c: every read of file bytes, with the md5 check */
struct cache	*cache_create(struct broker *, struct tree *, size_t);
int		 cache_disk(struct cache *, const char *, uint64_t, char **);
void		 cache_free(struct cache *);
int		 cache_open(struct cache *, uint64_t, volatile bool *,
		    struct handle **);
ssize_t		 cache_read(struct cache *, struct handle *, char *, size_t,
		    uint64_t, volatile bool *);
ssize_t		 cache_read_early(struct cache *, struct handle *, char *,
		    size_t, uint64_t, volatile bool *);
void		 cache_wake(struct cache *, struct handle *);
void		 cache_digest(struct cache *, struct handle *, const char *,
		    ssize_t, uint64_t);
void		 cache_close(struct cache *, struct handle *);
bool		 cache_keep(struct cache *, struct handle *);

/* ---- Jobs: control lines, the data root, the engine and its kinds ---- */

/* ctl.c: control lines, in Doris's grammar, parsed into requests */
#define CTL_NAME_MAX	256		/* db, table, partition, alias, repo */
#define CTL_ALNUM	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789"
#define CTL_DIGIT(c)	((c) >= '0' && (c) <= '9')
enum ctl_kind {
	CTL_BACKUP,
	CTL_RESTORE,
	CTL_CANCEL,
	CTL_VERIFY,
	CTL_DROP,
	CTL_REFRESH	/* no job: the view is listed again (fs.c) */
};
struct ctl_table {
	char		 *name;
	char		**partitions;
	size_t		  npartitions;
	char		 *alias;	/* restore: AS alias, or NULL */
};
struct ctl_property {
	char		*key;		/* lower case */
	char		*value;
};
struct ctl_request {
	enum ctl_kind		 kind;
	char			*db;		/* [db.]label, or NULL */
	char			*label;
	char			*repo;		/* TO/FROM repo, [repo.]label */
	char			*timestamp;	/* verify, drop: @timestamp */
	bool			 exclude;	/* EXCLUDE (...), not ON */
	struct ctl_table	*tables;
	size_t			 ntables;
	struct ctl_property	*props;
	size_t			 nprops;
	int64_t			 job_id;	/* cancel by id, else -1 */
	enum ctl_kind		 cancel_kind;	/* cancel BACKUP or RESTORE */
};
int		 ctl_parse(enum ctl_kind, const char *, size_t,
		    struct ctl_request **, char **);
void		 ctl_free(struct ctl_request *);
const char	*ctl_property(const struct ctl_request *, const char *);

/* ctl-props.c: the PROPERTIES of a control line */
int		 ctl_props_check(enum ctl_kind, struct ctl_property *,
		    const char **);
size_t		 ctl_props_utf8(const unsigned char *, size_t, uint32_t *);
bool		 ctl_props_name_ok(const char *);
int		 ctl_props_number(const char *, uint64_t, uint64_t *);
bool		 ctl_props_timestamp_ok(const char *);
void		 ctl_props_lower(char *);

/* ctl-select.c: the tables and partitions a line takes */
typedef bool (*ctl_select_has_fn)(void *, const char *, const char *);
bool		 ctl_select(const struct ctl_request *, const char *,
		    const char *, const struct ctl_table **);
int		 ctl_select_check(const struct ctl_request *,
		    ctl_select_has_fn, void *, const char **, const char **);

/* dataroot-ids.c: the ids of the data root's objects, kept */
struct data_ids;
int		 dataroot_ids_open(int, const char *, struct data_ids **,
		    char **);
void		 dataroot_ids_close(struct data_ids *);
void		 dataroot_ids_assign(struct data_ids *, struct data_db *);
int		 dataroot_ids_save(struct data_ids *, char **);

/* dataroot.c: the local data root that plays the Doris cluster */
struct data_tablet {
	int64_t		  id;		/* the folder's name */
	char		**files;	/* sorted */
	uint64_t	 *sizes;
	size_t		  nfiles;
};
struct data_partition {
	char			*name;
	int64_t			 id;
	int64_t			 version;
	struct data_tablet	*tablets;	/* sorted by id */
	size_t			 ntablets;
};
struct data_table {
	char			*name;
	int64_t			 id;
	int64_t			 index_id;	/* the base index */
	int32_t			 schema_hash;
	struct data_partition	*partitions;	/* sorted by name */
	size_t			 npartitions;
};
struct data_db {
	char			*name;
	int64_t			 id;
	struct data_table	*tables;	/* sorted by name */
	size_t			 ntables;
};
struct data_db;
struct data_root;
int		 dataroot_open(const char *, struct data_root **, char **);
void		 dataroot_close(struct data_root *);
const char	*dataroot_path(const struct data_root *);
int		 dataroot_databases(struct data_root *, char ***, size_t *);
int		 dataroot_scan(struct data_root *, const char *,
		    struct data_db **, char **);
void		 dataroot_db_free(struct data_db *);
int		 dataroot_link(const struct data_root *, const char *,
		    const char *, const char *, const struct data_tablet *,
		    const char *, char **);
int		 dataroot_switch(struct data_root *, const char *, const char *,
		    const char *, const char *, const char *, char **);
int		 dataroot_meta(const struct data_root *);
char		*dataroot_work_dir(const struct data_root *, int64_t);
char		*dataroot_shown(const struct data_root *, const char *);

/* job.c: the job engine: ids, threads, states, the files under /jobs */
enum job_state {
	JOB_PENDING,
	JOB_SNAPSHOTING,
	JOB_UPLOAD_SNAPSHOT,
	JOB_UPLOADING,
	JOB_SAVE_META,
	JOB_UPLOAD_INFO,
	JOB_DOWNLOAD,
	JOB_DOWNLOADING,
	JOB_COMMIT,
	JOB_COMMITTING,
	JOB_VERIFYING,
	JOB_DROPPING_INFO,
	JOB_DROPPING_CONTENT,
	JOB_FINISHED,
	JOB_CANCELLED
};
/* What a NODE_DYNAMIC shows: its aux. */
#define DYN_STATS		0
#define DYN_LAST_ERROR		1
#define DYN_JOB(id, file)	((uint32_t)(id) << 2 | (file))
#define DYN_JOB_ID(aux)		((aux) >> 2)
#define DYN_JOB_FILE(aux)	((aux) & 3)	/* state, job.txt, report */
#define DYN_TSV(i)		(0x80000000U | (uint32_t)(i)) /* view.c's */
#define DYN_IS_TSV(aux)		(((aux) & 0x80000000U) != 0)
#define DYN_TSV_INDEX(aux)	((aux) & 0x7fffffffU)
#define REPORT_MAX	(16U * 1024 * 1024)	/* a verify job's report */
typedef void (*jobs_notify_cb)(void *, const char *);
/*
 * A kind of job, as tmux's struct cmd_entry: the engine calls through it.
 * check runs when the line is written (a refusal fails the write), run on
 * the job's thread; resume, for a job read back at start, picks up what
 * it left and says whether its thread must run again; render writes its
 * job.txt.
 */
struct job_kind {
	const char	*name;		/* its control file, and in records */
	enum ctl_kind	 ctl;
	bool		 data;		/* needs a data root and a database */
	bool		 exclusive;	/* no other job on its snapshot */
	bool		 report;	/* shows report.txt */
	int		 (*check)(struct job *, char **);
	void		 (*run)(struct job *);
	bool		 (*resume)(struct job *);
	void		 (*render)(const struct job *, struct buf *);
};
struct job {
	struct jobs		*jobs;
	const struct job_kind	*kind;
	int64_t			 id;
	struct ctl_request	*req;
	char			*line;		/* as written to ctl/ */
	char			*db;
	char			*repo;
	char			*repo_key;	/* its folder */
	bool			 new_repo;	/* to be created */
	char			*folder;	/* the snapshot's, ending '/' */
	struct info		*info;		/* restore: the snapshot's */
	char			*info_key;	/* restore, verify: its key */
	char			*timestamp;	/* restore, verify, drop: of
						   that object */
	int64_t			 timeout;	/* seconds */
	time_t			 created;
	/* Set once by a cancel or a timeout; read without the lock. */
	volatile bool		 abort;
	/* protected by the jobs' lock */
	enum job_state		 state;
	time_t			 snapshot_done;
	time_t			 upload_done;	/* restore: download done */
	time_t			 finished;
	uint64_t		 files_total;
	uint64_t		 files_done;
	uint64_t		 bytes_total;
	uint64_t		 bytes_done;
	char			*error;
	char			*report;	/* verify: what it found */
	uint64_t		 problems;	/* verify: lines of report */
	bool			 threaded;	/* has a thread to join */
	bool			 ended;		/* its thread's run is over */
};
#define JOBS_HISTORY_DEFAULT 100	/* ended jobs kept (-o history=) */
struct jobs	*jobs_create(struct broker *, struct data_root *,
		    struct view *, size_t, jobs_notify_cb, void *);
void		 jobs_start(struct jobs *);
void		 jobs_free(struct jobs *);
int		 jobs_submit(struct jobs *, enum ctl_kind, const char *,
		    size_t, char **);
void		 jobs_refuse(struct jobs *, const char *);
char		*jobs_render(struct jobs *, uint32_t, size_t *);
int		 jobs_load(struct jobs *, const struct tree_dir *,
		    struct batch *);
struct broker	*job_broker(struct job *);
struct data_root *job_data(struct job *);
struct view	*job_view(struct job *);
void		 job_set_state(struct job *, enum job_state);
bool		 job_stopped(struct job *);
void		 job_fail(struct job *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 job_progress(struct job *, uint64_t, uint64_t);
void		 job_totals(struct job *, uint64_t, uint64_t);
void		 job_report(struct job *, char *, uint64_t);
void		 job_notify(struct job *);
int		 job_find_repo(struct job *, bool, char **);
int		 job_snapshot(struct job *, bool, struct repo_snapshot *,
		    char **);
int		 job_parallel(struct job *, size_t, int, pool_fn, void *);
void		 job_render_transfer(const struct job *, struct buf *);
void		 job_render_check(const struct job *, struct buf *);

/* job-store.c: job records in the data root, kept across restarts */
typedef const struct job_kind *(*job_store_kind_fn)(const char *);
const char	*job_store_state_name(enum job_state);
void		 job_store_save(int, const struct job *);
void		 job_store_remove(int, int64_t);
size_t		 job_store_load(int, job_store_kind_fn, struct job ***);
void		 job_store_free(struct job *);

/* job-backup.c, job-restore.c, job-verify.c, job-drop.c: the kinds */
extern const struct job_kind job_backup_entry;
extern const struct job_kind job_restore_entry;
extern const struct job_kind job_verify_entry;
extern const struct job_kind job_drop_entry;

/* ---- The top: FUSE and the namespace root ---- */

/* ns.c: the top of the namespace */
int		 ns_load(void *, const struct tree_dir *, struct batch *,
		    char **);
char		*ns_text(struct snapfs *, uint32_t, size_t *, int64_t *);

/* fs.c: the FUSE operations */
struct snapfs {
	struct broker	*broker;
	struct view	*view;
	struct tree	*tree;
	struct cache	*cache;
	struct hdrtext	*hdrtext;
	struct jobs	*jobs;
	void		*session;	/* the FUSE session, for notices */
	struct fs_notifier *notifier;	/* tells the kernel of changes */
	struct fs_file	*files;		/* open, not yet released */
	pthread_mutex_t	 files_lock;
	char		*mountpoint;	/* its real path */
	uid_t		 uid;		/* the mounting user */
	gid_t		 gid;
};
const void	*fs_ops(size_t *);
void		 fs_changed(struct snapfs *, const char *);
void		 fs_notify(void *, uint64_t, const char *);
void		 fs_notify_start(struct snapfs *);
void		 fs_notify_stop(struct snapfs *);
void		 fs_close_all(struct snapfs *);

#endif /* SNAPFS_H */
