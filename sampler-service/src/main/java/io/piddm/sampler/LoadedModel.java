package io.piddm.sampler;

import io.piddm.inference.StudentModel;
import io.piddm.proto.v1.ModelIdentity;
import io.piddm.proto.v1.ModelManifest;
import java.time.Instant;

/** A student being served, with where it came from. */
record LoadedModel(
    StudentModel student, ModelIdentity identity, ModelManifest manifest, Instant loadedAt) {

  String versionLabel() {
    return Long.toString(identity.getVersion());
  }

  String providerLabel() {
    return student.provider().name().toLowerCase(java.util.Locale.ROOT);
  }
}
