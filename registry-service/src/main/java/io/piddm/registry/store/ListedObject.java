package io.piddm.registry.store;

import java.time.Instant;

/** One entry of a listing: its key, ETag, size and last modification. */
public record ListedObject(String key, String etag, long size, Instant lastModified) {}
