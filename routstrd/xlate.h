/*
 * Anthropic's Messages API over an OpenAI-compatible upstream: the
 * client's request in, the upstream's answer (whole or streamed) out,
 * each translated as text, without a tree (upstream_xlate.c).
 *
 * Strings are carried over as the client or the upstream wrote them
 * (their JSON text copied, never decoded and encoded again), so they
 * stay exact; joined texts are their texts put side by side.
 */

#ifndef XLATE_H
#define XLATE_H

#include <stddef.h>

#include "jscan.h"

/*
 * An Anthropic Messages request (a checked JSON object) as an OpenAI chat
 * completions request text (malloc'd, NUL-terminated, length in *lenp).
 * model: the upstream's model id to put in "model" (NULL: keep the
 * client's). A "stream": true request gets "stream": true and
 * "stream_options": {"include_usage": true}.
 * NULL and *errp set to a short static message (the caller answers 400
 * with it; it may name a block type, and stays valid until the next
 * call) when the request cannot be translated; NULL and *errp NULL when
 * out of memory.
 */
char	*xlate_request(const struct jspan *body, const char *model,
	    size_t *lenp, const char **errp);

/*
 * An OpenAI chat.completion answer (a checked JSON object) as an Anthropic
 * message object text (malloc'd). NULL if it is not a chat completion
 * (no "choices" array with a message) or out of memory.
 */
char	*xlate_answer(const struct jspan *root, size_t *lenp);

/*
 * An OpenAI chat completions stream (SSE bytes, any split) as Anthropic's
 * Messages stream (SSE bytes, each event "event: NAME\ndata: JSON\n\n"),
 * written through out() as events complete (out returns nonzero to stop).
 * After "data: [DONE]" (message_stop written) or an error chunk (an
 * "error" event written) nothing more is translated.
 */
struct xlate_stream;

/* NULL when out of memory. */
struct xlate_stream *xlate_stream_new(int (*out)(const char *, size_t, void *),
	    void *arg);
/* 0, or -1: stopped (data not JSON = garbage, out() said stop, or no memory). */
int	 xlate_stream_feed(struct xlate_stream *, const void *, size_t);
/* The upstream's stream ended. 0 or -1. */
int	 xlate_stream_finish(struct xlate_stream *);
/* 1 if the stop was for garbage (data that is not a JSON object). */
int	 xlate_stream_garbage(const struct xlate_stream *);
/* 1 once message_stop has been written. */
int	 xlate_stream_done(const struct xlate_stream *);
void	 xlate_stream_free(struct xlate_stream *);

#endif /* XLATE_H */
