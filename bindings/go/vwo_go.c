// C helpers of the Go binding: one C call per API call, and the per-thread last error
// message copied inside that same call (a goroutine may change OS thread between cgo calls).

#include <string.h>
#include "vwo_go.h"

// Copies this thread's last error message when status is not VWO_OK (free with free()).
static char *vwo_go_err(vwo_status st) {
	if (st == VWO_OK) return NULL;
	const char *m = vwo_last_error_message();
	return strdup(m ? m : "");
}

void vwo_go_get_flag(vwo_client *c, const char *fk, const char *ctx, vwo_go_flag *r,
                     char *buf, size_t cap) {
	vwo_flag *f = NULL;
	r->status = vwo_get_flag(c, fk, ctx, &f);
	r->err = vwo_go_err(r->status);
	r->enabled = vwo_flag_is_enabled(f);
	r->reason = vwo_flag_reason(f);
	r->session_id = vwo_flag_session_id(f);
	r->uuid_heap = NULL;
	r->vars_heap = NULL;
	r->flag = NULL;
	r->vars_len = 0;
	const char *u = vwo_flag_uuid(f);
	if (u == NULL) {
		r->uuid_len = -1;
	} else {
		size_t n = strlen(u);
		if (n <= cap) {
			memcpy(buf, u, n);
			r->uuid_len = (int32_t)n;
		} else {
			r->uuid_len = -2;
			r->uuid_heap = strdup(u);
		}
	}
	if (r->enabled) {
		// The variables are serialized on first use (vwo_go_flag_variables): that costs
		// more than the decision itself, and many callers only ask IsEnabled().
		r->flag = f;
		return;
	}
	vwo_flag_free(f);
}

char *vwo_go_flag_variables(vwo_flag *f) {
	char *vars = NULL;
	if (vwo_flag_variables_json(f, &vars) != VWO_OK) vars = NULL;
	vwo_flag_free(f);
	return vars;
}

int32_t vwo_go_flag_variable(const vwo_flag *f, const char *key, char *buf, size_t cap, char **heap) {
	char *v = NULL;
	*heap = NULL;
	if (vwo_flag_variable_json(f, key, &v) != VWO_OK || v == NULL) return -1;
	size_t n = strlen(v);
	if (n <= cap) {
		memcpy(buf, v, n);
		vwo_string_free(v);
		return (int32_t)n;
	}
	*heap = v;
	return -2;
}

void vwo_go_free_flag_extra(char *uuid_heap, char *vars_heap) {
	free(uuid_heap);
	vwo_string_free(vars_heap);
}

vwo_status vwo_go_client_new(const char *options, const vwo_callbacks *cb, vwo_client **out, char **err) {
	vwo_status st = vwo_client_new(options, cb, out);
	*err = vwo_go_err(st);
	return st;
}

vwo_status vwo_go_track(vwo_client *c, const char *ev, const char *ctx, const char *props,
                               int32_t *tracked, char **err) {
	vwo_status st = vwo_track_event(c, ev, ctx, props, tracked);
	*err = vwo_go_err(st);
	return st;
}

vwo_status vwo_go_set_attributes(vwo_client *c, const char *attrs, const char *ctx, char **err) {
	vwo_status st = vwo_set_attributes(c, attrs, ctx);
	*err = vwo_go_err(st);
	return st;
}

vwo_status vwo_go_flush(vwo_client *c, uint32_t timeout_ms, int32_t *delivered, char **err) {
	vwo_status st = vwo_flush_events(c, timeout_ms, delivered);
	*err = vwo_go_err(st);
	return st;
}

vwo_status vwo_go_update_settings(vwo_client *c, const char *settings, int32_t via_webhook, char **err) {
	vwo_status st = vwo_update_settings(c, settings, via_webhook);
	*err = vwo_go_err(st);
	return st;
}

vwo_status vwo_go_close(vwo_client *c, int32_t *delivered, char **err) {
	vwo_status st = vwo_client_close(c, delivered);
	*err = vwo_go_err(st);
	return st;
}

vwo_status vwo_go_uuid(const char *user, const char *account, char **out, char **err) {
	vwo_status st = vwo_get_uuid(user, account, out);
	*err = vwo_go_err(st);
	return st;
}
