package io.piddm.registry.core;

import java.time.Instant;

/**
 * The version number an upload in progress holds: its {@code .claim} object, the ETag it was last
 * written with and when. {@link Registry} refreshes it while bytes arrive, so a long upload is not
 * mistaken for an abandoned one, and marks it lost when another upload took it over.
 */
final class VersionClaim {

  final String model;
  final long version;
  private String etag;
  private Instant written;
  private boolean lost;

  VersionClaim(String model, long version, String etag, Instant written) {
    this.model = model;
    this.version = version;
    this.etag = etag;
    this.written = written;
  }

  String etag() {
    return etag;
  }

  Instant written() {
    return written;
  }

  void refreshed(String etag, Instant written) {
    this.etag = etag;
    this.written = written;
  }

  /** Someone else owns the number now: nothing under it may be removed in this upload's name. */
  void lose() {
    lost = true;
  }

  boolean lost() {
    return lost;
  }
}
