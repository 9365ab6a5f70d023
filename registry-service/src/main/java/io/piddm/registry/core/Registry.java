package io.piddm.registry.core;

import com.google.protobuf.Timestamp;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.piddm.proto.v1.AliasMove;
import io.piddm.proto.v1.AliasMoveKind;
import io.piddm.proto.v1.AliasPolicy;
import io.piddm.proto.v1.AliasRecord;
import io.piddm.proto.v1.CreateVersionHeader;
import io.piddm.proto.v1.CreateVersionResponse;
import io.piddm.proto.v1.FileEntry;
import io.piddm.proto.v1.GetAliasHistoryRequest;
import io.piddm.proto.v1.GetAliasHistoryResponse;
import io.piddm.proto.v1.GetAliasResponse;
import io.piddm.proto.v1.ListModelsRequest;
import io.piddm.proto.v1.ListModelsResponse;
import io.piddm.proto.v1.ListVersionsRequest;
import io.piddm.proto.v1.ListVersionsResponse;
import io.piddm.proto.v1.ModelManifest;
import io.piddm.proto.v1.ModelSummary;
import io.piddm.proto.v1.RollbackAliasRequest;
import io.piddm.proto.v1.SetAliasRequest;
import io.piddm.proto.v1.VersionSelector;
import io.piddm.registry.store.ListedObject;
import io.piddm.registry.store.ObjectStore;
import io.piddm.registry.store.PreconditionFailedException;
import io.piddm.registry.store.StoreMisconfiguredException;
import io.piddm.registry.store.StoredObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The registry's logic over an {@link ObjectStore}: versions written manifest-last, aliases moved
 * by conditional writes with a write-ahead history, promotion gates. Plain Java, so tests run it
 * over a real S3 server without booting Quarkus; the gRPC layer only maps messages.
 *
 * <p>Alias moves: a move to revision r+1 first writes the history entry {@code r+1} with
 * If-None-Match (only one mover can), then the alias record with If-Match on the ETag it read. A
 * mover that died between the two leaves the entry; the next reader completes it (roll forward), so
 * history and alias never disagree and no entry is lost.
 */
public final class Registry {

  private static final Logger LOG = Logger.getLogger(Registry.class);
  private static final int MAX_CLAIM_ATTEMPTS = 64;

  private final ObjectStore store;
  private final long maxFileBytes;
  private final Duration claimTtl;
  private final Clock clock;
  private final List<Consumer<AliasRecord>> moveListeners = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicLong> versionGauges = new ConcurrentHashMap<>();
  private final MeterRegistry meters;

  public Registry(
      ObjectStore store, long maxFileBytes, Duration claimTtl, Clock clock, MeterRegistry meters) {
    if (maxFileBytes > ObjectStore.MAX_OBJECT_BYTES) {
      throw new IllegalArgumentException(
          "max-file-bytes "
              + maxFileBytes
              + " is over "
              + ObjectStore.MAX_OBJECT_BYTES
              + ", the most one S3 PUT can store (each file goes up as one PUT)");
    }
    this.store = store;
    this.maxFileBytes = maxFileBytes;
    this.claimTtl = claimTtl;
    this.clock = clock;
    this.meters = meters;
  }

  public ObjectStore store() {
    return store;
  }

  /** Called with every alias record this registry writes. */
  public void onAliasMove(Consumer<AliasRecord> listener) {
    moveListeners.add(listener);
  }

  // ---------------------------------------------------------------- versions

  /**
   * Starts an upload: validates its header and claims the next version number, so the files can go
   * straight to that version's folder while they arrive (the version stays invisible until its
   * manifest is written). A claim is taken in the order uploads start; an upload that fails gives
   * its number back, but if a later one has committed meanwhile that number stays unused.
   */
  public Upload begin(CreateVersionHeader header) {
    Upload upload = new Upload(this, header, maxFileBytes);
    upload.claimed(claimVersion(upload.model()));
    return upload;
  }

  /**
   * Waits until every file of the upload is stored (each was checked against its declared size and
   * sha256 before its last bytes went out), then writes manifest.json, which makes the version
   * visible, and releases the claim. A failure removes what the upload wrote.
   */
  public CreateVersionResponse commit(Upload upload, String actor) {
    try (upload) {
      upload.finishFiles();
      VersionClaim claim = upload.claim();
      String model = claim.model;
      long version = claim.version;
      ModelManifest manifest =
          upload.declaredManifest().toBuilder()
              .setVersion(version)
              .setCreatedAt(now())
              .setCreatedBy(actor)
              .build();
      // the files are only this upload's if the number still is: an upload that stalled past the
      // claim TTL may have been taken over, and its manifest must not describe another's files. A
      // claim refreshed less than a third of the TTL ago cannot have been (keepClaim's condition).
      keepClaim(claim);
      try {
        store.putIfAbsent(Layout.manifest(model, version), Json.write(manifest));
      } catch (PreconditionFailedException e) {
        claim.lose();
        throw Errors.aborted("version " + version + " of " + model + " was taken concurrently");
      }
      upload.committed();
      releaseClaim(model, version);
      meters.counter("piddm.registry.bytes.in").increment(upload.bytes());
      meters.counter("piddm.registry.versions.created", "model", model).increment();
      gauge(model).set(version);
      CreateVersionResponse.Builder response =
          CreateVersionResponse.newBuilder().setManifest(manifest);
      if (!upload.requestAlias().isEmpty()) {
        try {
          response.setAlias(
              setAlias(
                  SetAliasRequest.newBuilder()
                      .setModelName(model)
                      .setAlias(upload.requestAlias())
                      .setVersion(version)
                      .setForce(true)
                      .setReason("requested with CreateVersion")
                      .build(),
                  actor));
        } catch (StatusRuntimeException e) {
          response.setAliasError(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        }
      }
      return response.build();
    }
  }

  private VersionClaim claimVersion(String model) {
    long candidate = newestVisible(model) + 1;
    for (int attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++, candidate++) {
      String key = Layout.claim(model, candidate);
      Instant now = clock.instant();
      try {
        String etag = store.putIfAbsent(key, claimBody(now));
        if (store.exists(Layout.manifest(model, candidate))) {
          // a version committed and released its claim between our listing and our claim
          store.delete(key);
          continue;
        }
        return new VersionClaim(model, candidate, etag, now);
      } catch (PreconditionFailedException taken) {
        if (reclaimIfStale(model, candidate)) {
          candidate--;
        }
      }
    }
    throw Errors.aborted("could not claim a version number for " + model + "; retry");
  }

  /**
   * The newest version with a manifest (0 when none), from the version folders and a manifest check
   * from the top down: a listing of every object under versions/ grows with the model's history.
   */
  private long newestVisible(String model) {
    List<Long> folders =
        store.listFolders(Layout.versions(model)).stream()
            .map(folder -> Layout.versionOf(model, folder))
            .filter(version -> version > 0)
            .sorted(Comparator.reverseOrder())
            .toList();
    for (long version : folders) {
      if (store.exists(Layout.manifest(model, version))) {
        return version;
      }
    }
    return 0;
  }

  private static byte[] claimBody(Instant at) {
    return ("claimed " + at).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Rewrites the claim (If-Match on its ETag) once a third of the claim TTL has passed since it was
   * written: an upload that keeps receiving bytes keeps its number however long it takes. ABORTED
   * when the claim was taken over (it went stale and another upload removed it).
   */
  void keepClaim(VersionClaim claim) {
    Instant now = clock.instant();
    if (claim.written().plus(claimTtl.dividedBy(3)).isAfter(now)) {
      return;
    }
    try {
      String key = Layout.claim(claim.model, claim.version);
      claim.refreshed(store.putIfMatch(key, claimBody(now), claim.etag()), now);
    } catch (PreconditionFailedException e) {
      claim.lose();
      throw Errors.aborted(
          "the upload of "
              + claim.model
              + " version "
              + claim.version
              + " went without progress past the claim TTL ("
              + claimTtl
              + ") and another upload took the number over; retry");
    }
  }

  /** Removes an abandoned claim (older than the claim TTL, no manifest); true when it did. */
  private boolean reclaimIfStale(String model, long version) {
    if (store.exists(Layout.manifest(model, version))) {
      return false;
    }
    Optional<ListedObject> claim =
        store.listShallow(Layout.version(model, version)).stream()
            .filter(o -> o.key().equals(Layout.claim(model, version)))
            .findFirst();
    if (claim.isEmpty()) {
      return true;
    }
    Instant modified = claim.get().lastModified();
    if (modified != null && modified.plus(claimTtl).isBefore(clock.instant())) {
      LOG.infof("removing the abandoned upload of %s version %d", model, version);
      removeUnfinished(model, version);
      return true;
    }
    return false;
  }

  /**
   * Removes what a failed upload wrote, unless its number was taken over meanwhile or its manifest
   * did get written (a write whose answer was lost: the version is whole).
   */
  void abandon(VersionClaim claim) {
    if (claim.lost()) {
      return;
    }
    try {
      if (!store.exists(Layout.manifest(claim.model, claim.version))) {
        removeUnfinished(claim.model, claim.version);
      }
    } catch (RuntimeException e) {
      LOG.warnf(
          "could not remove the failed upload of %s version %d (removed at the next clean-up): %s",
          claim.model, claim.version, e);
    }
  }

  /**
   * Deletes the objects of an unfinished version, its claim last: a removal cut short leaves the
   * claim, so the clean-up finds the rest again.
   */
  private void removeUnfinished(String model, long version) {
    String claim = Layout.claim(model, version);
    for (ListedObject object : store.list(Layout.version(model, version))) {
      if (!object.key().equals(claim)) {
        store.delete(object.key());
      }
    }
    store.delete(claim);
  }

  private void releaseClaim(String model, long version) {
    try {
      store.delete(Layout.claim(model, version));
    } catch (RuntimeException e) {
      LOG.debugf("claim of %s/%d stays until the next clean-up: %s", model, version, e);
    }
  }

  /**
   * Removes abandoned uploads from the bucket: claims without a manifest older than the claim TTL,
   * or all of them when {@code exclusive} (this process is the only writer, as with the embedded
   * store, so every claim found at start belongs to a dead run). Multipart uploads under {@code
   * models/} that were never finished (earlier registry versions sent large files in parts) are
   * aborted on the same terms, so their hidden parts do not stay in the store.
   */
  public void cleanUp(boolean exclusive) {
    for (String model : modelNames()) {
      for (String folder : store.listFolders(Layout.versions(model))) {
        long version = Layout.versionOf(model, folder);
        if (version > 0 && store.exists(Layout.claim(model, version))) {
          if (exclusive && !store.exists(Layout.manifest(model, version))) {
            LOG.infof("removing the interrupted upload of %s version %d", model, version);
            removeUnfinished(model, version);
          } else {
            reclaimIfStale(model, version);
          }
        }
      }
    }
    Instant staleBefore = clock.instant().minus(claimTtl);
    List<ObjectStore.PendingUpload> pending;
    try {
      pending = store.pendingUploads(Layout.MODELS);
    } catch (StoreMisconfiguredException e) {
      // a key without the right to list multipart uploads can still do everything else
      LOG.warnf("unfinished multipart uploads not cleaned up: %s", e.getMessage());
      return;
    }
    for (ObjectStore.PendingUpload upload : pending) {
      if (exclusive || upload.initiated().isBefore(staleBefore)) {
        LOG.infof("aborting the unfinished multipart upload of %s", upload.key());
        store.abort(upload);
      }
    }
  }

  /** Visible versions (those with a manifest), newest first. */
  List<Long> visibleVersions(String model) {
    String prefix = Layout.versions(model);
    List<Long> versions = new ArrayList<>();
    for (ListedObject object : store.list(prefix)) {
      if (object.key().endsWith("/manifest.json")) {
        long version = Layout.versionOf(model, object.key());
        if (version > 0) {
          versions.add(version);
        }
      }
    }
    versions.sort(Comparator.reverseOrder());
    gauge(model).set(versions.size());
    return versions;
  }

  private AtomicLong gauge(String model) {
    return versionGauges.computeIfAbsent(
        model,
        m -> {
          AtomicLong value = new AtomicLong();
          meters.gauge(
              "piddm.registry.versions",
              List.of(io.micrometer.core.instrument.Tag.of("model", m)),
              value);
          return value;
        });
  }

  private List<Long> existingModelVersions(String model) {
    List<Long> versions = visibleVersions(model);
    if (versions.isEmpty()) {
      throw Errors.notFound("model " + model + " does not exist");
    }
    return versions;
  }

  public ModelManifest getVersion(VersionSelector selector) {
    String model = Names.model(selector.getModelName());
    return manifest(model, resolve(model, selector));
  }

  private long resolve(String model, VersionSelector selector) {
    return switch (selector.getTargetCase()) {
      case VERSION -> {
        if (selector.getVersion() <= 0) {
          throw Errors.invalid("version must be positive");
        }
        yield selector.getVersion();
      }
      case ALIAS -> {
        String alias = Names.alias(selector.getAlias());
        yield readAlias(model, alias)
            .orElseThrow(() -> aliasNotFound(model, alias))
            .record()
            .getVersion();
      }
      case TARGET_NOT_SET -> throw Errors.invalid("selector needs a version or an alias");
    };
  }

  private ModelManifest manifest(String model, long version) {
    return findManifest(model, version)
        .orElseThrow(
            () -> {
              existingModelVersions(model);
              return Errors.notFound("model " + model + " has no version " + version);
            });
  }

  private Optional<ModelManifest> findManifest(String model, long version) {
    return store
        .get(Layout.manifest(model, version))
        .map(o -> Json.read(o.data(), ModelManifest.getDefaultInstance()));
  }

  private List<String> modelNames() {
    return store.listFolders(Layout.MODELS).stream()
        .map(f -> f.substring(Layout.MODELS.length(), f.length() - 1))
        .sorted()
        .toList();
  }

  public ListModelsResponse listModels(ListModelsRequest request) {
    int size = PageTokens.pageSize(request.getPageSize());
    String after = PageTokens.position("models", request.getPageToken());
    ListModelsResponse.Builder response = ListModelsResponse.newBuilder();
    String last = null;
    List<String> names =
        modelNames().stream().filter(n -> after == null || n.compareTo(after) > 0).toList();
    for (int i = 0; i < names.size(); i++) {
      String model = names.get(i);
      List<Long> versions = visibleVersions(model);
      if (versions.isEmpty()) {
        continue;
      }
      if (response.getModelsCount() == size) {
        response.setNextPageToken(PageTokens.issue("models", last));
        break;
      }
      response.addModels(
          ModelSummary.newBuilder()
              .setModelName(model)
              .setLatestVersion(versions.get(0))
              .setVersionCount(versions.size())
              .addAllAliases(aliasesOf(model).values()));
      last = model;
    }
    return response.build();
  }

  public ListVersionsResponse listVersions(ListVersionsRequest request) {
    String model = Names.model(request.getModelName());
    int size = PageTokens.pageSize(request.getPageSize());
    long before = PageTokens.numericPosition("versions:" + model, request.getPageToken());
    List<Long> versions =
        existingModelVersions(model).stream().filter(v -> before < 0 || v < before).toList();
    ListVersionsResponse.Builder response = ListVersionsResponse.newBuilder();
    for (long version : versions.subList(0, Math.min(size, versions.size()))) {
      findManifest(model, version).ifPresent(response::addVersions);
    }
    if (versions.size() > size) {
      response.setNextPageToken(
          PageTokens.issue("versions:" + model, Long.toString(versions.get(size - 1))));
    }
    return response.build();
  }

  /** A file of a version, opened for reading; the caller closes the stream. */
  public record OpenedFile(FileEntry entry, long version, InputStream data) {}

  public OpenedFile openFile(VersionSelector selector, String fileName) {
    String model = Names.model(selector.getModelName());
    if (fileName.isEmpty()) {
      throw Errors.invalid("file_name is required");
    }
    long version = resolve(model, selector);
    ModelManifest manifest = manifest(model, version);
    FileEntry entry =
        manifest.getFilesList().stream()
            .filter(f -> f.getName().equals(fileName))
            .findFirst()
            .orElseThrow(
                () ->
                    Errors.notFound(
                        "version " + version + " of " + model + " has no file " + fileName));
    InputStream data =
        store
            .open(Layout.file(model, version, entry.getName()))
            .orElseThrow(
                () ->
                    Errors.dataLoss(
                        "file " + fileName + " of " + model + "/" + version + " is missing"));
    return new OpenedFile(entry, version, data);
  }

  public void countBytesOut(long bytes) {
    meters.counter("piddm.registry.bytes.out").increment(bytes);
  }

  // ---------------------------------------------------------------- aliases

  /** An alias record as stored, with the ETag a conditional write compares against. */
  record CurrentAlias(AliasRecord record, String etag) {}

  Optional<CurrentAlias> readAlias(String model, String alias) {
    for (int attempt = 0; attempt < 8; attempt++) {
      Optional<StoredObject> stored = store.get(Layout.alias(model, alias));
      long revision =
          stored
              .map(o -> Json.read(o.data(), AliasRecord.getDefaultInstance()).getRevision())
              .orElse(0L);
      Optional<StoredObject> pending = store.get(Layout.historyEntry(model, alias, revision + 1));
      if (pending.isEmpty()) {
        return stored.map(
            o -> new CurrentAlias(Json.read(o.data(), AliasRecord.getDefaultInstance()), o.etag()));
      }
      // a mover wrote its history entry and stopped before the alias: finish its move
      AliasRecord completed =
          recordOf(Json.read(pending.get().data(), AliasMove.getDefaultInstance()));
      try {
        if (stored.isPresent()) {
          store.putIfMatch(Layout.alias(model, alias), Json.write(completed), stored.get().etag());
        } else {
          store.putIfAbsent(Layout.alias(model, alias), Json.write(completed));
        }
      } catch (PreconditionFailedException raced) {
        // someone else completed it; read again
      }
    }
    throw Errors.aborted("alias " + alias + " of " + model + " keeps moving; retry");
  }

  private static AliasRecord recordOf(AliasMove move) {
    return AliasRecord.newBuilder()
        .setModelName(move.getModelName())
        .setAlias(move.getAlias())
        .setVersion(move.getToVersion())
        .setPreviousVersion(move.getFromVersion())
        .setRevision(move.getRevision())
        .setUpdatedAt(move.getAt())
        .setUpdatedBy(move.getActor())
        .setReason(move.getReason())
        .build();
  }

  public AliasRecord setAlias(SetAliasRequest request, String actor) {
    String model = Names.model(request.getModelName());
    String alias = Names.alias(request.getAlias());
    if (request.getVersion() <= 0) {
      throw Errors.invalid("version must be positive");
    }
    if (request.getExpectedRevision() < 0) {
      throw Errors.invalid("expected_revision must not be negative");
    }
    ModelManifest manifest = manifest(model, request.getVersion());
    AliasPolicy policy = readPolicy(model, alias);
    Optional<String> failure =
        Gates.firstFailure(policy, manifest, (other, v) -> wasOnAlias(model, other, v));
    if (failure.isPresent()) {
      throw Errors.failedPrecondition(
          "promotion of version "
              + request.getVersion()
              + " to "
              + alias
              + " blocked by gate "
              + failure.get());
    }
    int attempts = request.getForce() ? 8 : 1;
    for (int attempt = 1; ; attempt++) {
      Optional<CurrentAlias> current = readAlias(model, alias);
      long revision = current.map(c -> c.record().getRevision()).orElse(0L);
      if (!request.getForce() && revision != request.getExpectedRevision()) {
        throw Errors.aborted(
            "alias "
                + alias
                + " is at revision "
                + revision
                + ", not the expected "
                + request.getExpectedRevision()
                + "; read it again and retry");
      }
      try {
        return move(
            model,
            alias,
            current,
            request.getVersion(),
            AliasMoveKind.ALIAS_MOVE_KIND_SET,
            actor,
            request.getReason());
      } catch (StatusRuntimeException conflict) {
        if (attempt >= attempts) {
          throw conflict;
        }
      }
    }
  }

  public AliasRecord rollback(RollbackAliasRequest request, String actor) {
    String model = Names.model(request.getModelName());
    String alias = Names.alias(request.getAlias());
    if (request.getExpectedRevision() < 0) {
      throw Errors.invalid("expected_revision must not be negative");
    }
    CurrentAlias current = readAlias(model, alias).orElseThrow(() -> aliasNotFound(model, alias));
    AliasRecord record = current.record();
    if (request.getExpectedRevision() != 0
        && request.getExpectedRevision() != record.getRevision()) {
      throw Errors.aborted(
          "alias "
              + alias
              + " is at revision "
              + record.getRevision()
              + ", not the expected "
              + request.getExpectedRevision());
    }
    if (record.getPreviousVersion() == 0) {
      throw Errors.failedPrecondition(
          "alias " + alias + " of " + model + " has no previous version to roll back to");
    }
    return move(
        model,
        alias,
        Optional.of(current),
        record.getPreviousVersion(),
        AliasMoveKind.ALIAS_MOVE_KIND_ROLLBACK,
        actor,
        request.getReason());
  }

  private AliasRecord move(
      String model,
      String alias,
      Optional<CurrentAlias> current,
      long version,
      AliasMoveKind kind,
      String actor,
      String reason) {
    long from = current.map(c -> c.record().getVersion()).orElse(0L);
    long revision = current.map(c -> c.record().getRevision()).orElse(0L) + 1;
    AliasMove entry =
        AliasMove.newBuilder()
            .setModelName(model)
            .setAlias(alias)
            .setKind(kind)
            .setFromVersion(from)
            .setToVersion(version)
            .setRevision(revision)
            .setActor(actor)
            .setReason(reason)
            .setAt(now())
            .build();
    try {
      store.putIfAbsent(Layout.historyEntry(model, alias, revision), Json.write(entry));
    } catch (PreconditionFailedException lost) {
      throw Errors.aborted(
          "alias " + alias + " moved to revision " + revision + " concurrently; read it and retry");
    }
    AliasRecord record = recordOf(entry);
    try {
      if (current.isPresent()) {
        store.putIfMatch(Layout.alias(model, alias), Json.write(record), current.get().etag());
      } else {
        store.putIfAbsent(Layout.alias(model, alias), Json.write(record));
      }
    } catch (PreconditionFailedException completedByAReader) {
      // only our history entry can produce revision r+1, so whoever wrote it wrote our record
    }
    meters.counter("piddm.registry.alias.moves", "kind", kind.name()).increment();
    for (Consumer<AliasRecord> listener : moveListeners) {
      listener.accept(record);
    }
    return record;
  }

  private boolean wasOnAlias(String model, String alias, long version) {
    for (ListedObject entry : store.list(Layout.history(model, alias))) {
      Optional<StoredObject> stored = store.get(entry.key());
      if (stored.isPresent()
          && Json.read(stored.get().data(), AliasMove.getDefaultInstance()).getToVersion()
              == version) {
        return true;
      }
    }
    return false;
  }

  public GetAliasResponse getAlias(String modelName, String aliasName) {
    String model = Names.model(modelName);
    String alias = Names.alias(aliasName);
    AliasRecord record =
        readAlias(model, alias).orElseThrow(() -> aliasNotFound(model, alias)).record();
    return GetAliasResponse.newBuilder()
        .setAlias(record)
        .setPolicy(readPolicy(model, alias))
        .build();
  }

  private StatusRuntimeException aliasNotFound(String model, String alias) {
    existingModelVersions(model);
    return Errors.notFound("model " + model + " has no alias " + alias);
  }

  /** Every alias of a model, by name. */
  Map<String, AliasRecord> aliasesOf(String model) {
    Map<String, AliasRecord> out = new java.util.TreeMap<>();
    for (ListedObject object : store.listShallow(Layout.aliases(model))) {
      String name =
          object.key().substring(Layout.aliases(model).length(), object.key().length() - 5);
      store
          .get(object.key())
          .ifPresent(o -> out.put(name, Json.read(o.data(), AliasRecord.getDefaultInstance())));
    }
    return out;
  }

  /**
   * Every alias record in the bucket, keyed "model/alias", re-reading only those whose ETag changed
   * since {@code cache} (which this call updates). For the watch poller.
   */
  public Map<String, AliasRecord> scanAliases(Map<String, Map.Entry<String, AliasRecord>> cache) {
    Map<String, AliasRecord> out = new java.util.TreeMap<>();
    Map<String, Map.Entry<String, AliasRecord>> seen = new java.util.HashMap<>();
    for (String model : modelNames()) {
      for (ListedObject object : store.listShallow(Layout.aliases(model))) {
        String name =
            object.key().substring(Layout.aliases(model).length(), object.key().length() - 5);
        String key = model + "/" + name;
        Map.Entry<String, AliasRecord> cached = cache.get(key);
        if (cached != null && cached.getKey().equals(object.etag())) {
          seen.put(key, cached);
          out.put(key, cached.getValue());
          continue;
        }
        Optional<StoredObject> stored = store.get(object.key());
        if (stored.isPresent()) {
          AliasRecord record = Json.read(stored.get().data(), AliasRecord.getDefaultInstance());
          seen.put(key, Map.entry(stored.get().etag(), record));
          out.put(key, record);
        }
      }
    }
    cache.clear();
    cache.putAll(seen);
    return out;
  }

  public GetAliasHistoryResponse history(GetAliasHistoryRequest request) {
    String model = Names.model(request.getModelName());
    String alias = request.getAlias().isEmpty() ? "" : Names.alias(request.getAlias());
    int size = PageTokens.pageSize(request.getPageSize());
    String kind = "history:" + model + "/" + alias;
    long offset = Math.max(0, PageTokens.numericPosition(kind, request.getPageToken()));
    existingModelVersions(model);
    List<AliasMove> page = new ArrayList<>();
    boolean more;
    if (!alias.isEmpty()) {
      List<ListedObject> entries = new ArrayList<>(store.list(Layout.history(model, alias)));
      entries.sort(Comparator.comparing(ListedObject::key).reversed());
      int end = (int) Math.min(entries.size(), offset + size);
      for (int i = (int) Math.min(offset, entries.size()); i < end; i++) {
        store
            .get(entries.get(i).key())
            .ifPresent(o -> page.add(Json.read(o.data(), AliasMove.getDefaultInstance())));
      }
      more = entries.size() > end;
    } else {
      List<AliasMove> all = new ArrayList<>();
      for (ListedObject entry : store.list(Layout.histories(model))) {
        store
            .get(entry.key())
            .ifPresent(o -> all.add(Json.read(o.data(), AliasMove.getDefaultInstance())));
      }
      all.sort(
          Comparator.comparing((AliasMove m) -> m.getAt().getSeconds())
              .thenComparing(m -> m.getAt().getNanos())
              .thenComparing(AliasMove::getRevision)
              .reversed());
      int end = (int) Math.min(all.size(), offset + size);
      page.addAll(all.subList((int) Math.min(offset, all.size()), end));
      more = all.size() > end;
    }
    GetAliasHistoryResponse.Builder response =
        GetAliasHistoryResponse.newBuilder().addAllMoves(page);
    if (more) {
      response.setNextPageToken(PageTokens.issue(kind, Long.toString(offset + page.size())));
    }
    return response.build();
  }

  // ---------------------------------------------------------------- policies

  public AliasPolicy setPolicy(AliasPolicy policy) {
    String model = Names.model(policy.getModelName());
    String alias = Names.alias(policy.getAlias());
    Gates.validate(policy);
    existingModelVersions(model);
    store.put(Layout.policy(model, alias), Json.write(policy));
    return policy;
  }

  public AliasPolicy getPolicy(String modelName, String aliasName) {
    String model = Names.model(modelName);
    String alias = Names.alias(aliasName);
    existingModelVersions(model);
    return readPolicy(model, alias);
  }

  private AliasPolicy readPolicy(String model, String alias) {
    return store
        .get(Layout.policy(model, alias))
        .map(o -> Json.read(o.data(), AliasPolicy.getDefaultInstance()))
        .orElse(AliasPolicy.newBuilder().setModelName(model).setAlias(alias).build());
  }

  private Timestamp now() {
    Instant now = clock.instant();
    return Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
  }
}
