package io.piddm.registry.store;

import io.minio.AbortMultipartUploadArgs;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListMultipartUploadsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.Signer;
import io.minio.StatObjectArgs;
import io.minio.Time;
import io.minio.Xml;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.MinioException;
import io.minio.errors.ServerException;
import io.minio.messages.ErrorResponse;
import io.minio.messages.Item;
import io.minio.messages.ListMultipartUploadsResult;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The registry's only way to the bucket: the MinIO client over an S3 endpoint (the embedded S3Proxy
 * or an external MinIO). Missing objects come back empty, lost conditional writes as {@link
 * PreconditionFailedException}; every other failure is a {@link StoreException}: {@link
 * StoreUnavailableException} when the store is not there, times out or answers 5xx (waiting may
 * help), {@link StoreMisconfiguredException} when it answers and refuses (a 4xx: wrong credentials,
 * missing bucket, wrong region; a person has to fix a setting).
 */
public final class ObjectStore implements AutoCloseable {

  /**
   * The largest object one PUT may carry (S3's limit; also S3Proxy's default), so the largest file
   * a version may hold: files go up as one streamed PUT each.
   */
  public static final long MAX_OBJECT_BYTES = 5L * 1024 * 1024 * 1024;

  private static final String REGION = "us-east-1";
  private static final String UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

  /** 4xx codes that mean "try again", not "fix the configuration" (S3 answers 400 for these). */
  private static final Set<String> TRANSIENT_CODES = Set.of("RequestTimeout", "SlowDown");

  private final MinioClient client;
  private final MinioAsyncClient async;
  private final OkHttpClient http;
  private final HttpUrl endpoint;
  private final String accessKey;
  private final String secretKey;
  private final String bucket;
  private final ExecutorService uploaders;

  public ObjectStore(
      String endpoint, String accessKey, String secretKey, String bucket, Duration timeout) {
    this.http =
        new OkHttpClient.Builder()
            .connectTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .readTimeout(Math.max(timeout.toMillis(), 30_000), TimeUnit.MILLISECONDS)
            .writeTimeout(Math.max(timeout.toMillis(), 30_000), TimeUnit.MILLISECONDS)
            .retryOnConnectionFailure(false)
            .build();
    this.client =
        MinioClient.builder()
            .endpoint(endpoint)
            .credentials(accessKey, secretKey)
            .region(REGION)
            .httpClient(http, true)
            .build();
    // The blocking client does not offer the multipart listing the clean-up needs.
    this.async =
        MinioAsyncClient.builder()
            .endpoint(endpoint)
            .credentials(accessKey, secretKey)
            .region(REGION)
            .httpClient(http, true)
            .build();
    this.endpoint = HttpUrl.get(endpoint);
    this.accessKey = accessKey;
    this.secretKey = secretKey;
    this.bucket = bucket;
    AtomicInteger threads = new AtomicInteger();
    this.uploaders =
        Executors.newCachedThreadPool(
            r -> {
              Thread thread = new Thread(r, "registry-s3-put-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  public String bucket() {
    return bucket;
  }

  /** Creates the bucket when it does not exist. */
  public void ensureBucket() {
    call(
        () -> {
          if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
            try {
              client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            } catch (ErrorResponseException e) {
              String code = e.errorResponse().code();
              if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) {
                throw e;
              }
            }
          }
          return null;
        });
  }

  /** Writes a small object unconditionally. */
  public String put(String key, byte[] data) {
    try {
      return put(key, data, Map.of());
    } catch (PreconditionFailedException e) {
      throw new IllegalStateException("unconditional write reported a failed condition", e);
    }
  }

  /** Writes a small object only when none exists under {@code key}; returns the new ETag. */
  public String putIfAbsent(String key, byte[] data) throws PreconditionFailedException {
    return put(key, data, Map.of("If-None-Match", "*"));
  }

  /** Writes a small object only when the current one still has {@code etag}. */
  public String putIfMatch(String key, byte[] data, String etag)
      throws PreconditionFailedException {
    return put(key, data, Map.of("If-Match", quoted(etag)));
  }

  private String put(String key, byte[] data, Map<String, String> headers)
      throws PreconditionFailedException {
    return conditional(
        key,
        () ->
            client
                .putObject(
                    PutObjectArgs.builder()
                        .bucket(bucket)
                        .object(key)
                        .data(data, data.length)
                        .headers(headers)
                        .build())
                .etag());
  }

  /**
   * Starts writing an object of exactly {@code size} bytes whose bytes are handed over later (see
   * {@link ObjectStream}).
   *
   * <p>The PUT is built here rather than by the MinIO client, whose uploads read a whole part into
   * memory before sending it (and, over plain http, hash it for the signature, which S3Proxy then
   * verifies by buffering the whole body again). It is signed with the MinIO client's signer as an
   * {@code UNSIGNED-PAYLOAD} request, the same way that client signs uploads over https: the
   * signature covers the request, not the body, so the body can be sent as it arrives. The registry
   * checks the sha256 of what it received itself, and every download checks the stored bytes
   * against the manifest again. Works the same against S3Proxy, MinIO and S3.
   */
  public ObjectStream stream(String key, long size, String contentType) {
    if (size > MAX_OBJECT_BYTES) {
      throw new IllegalArgumentException(key + ": " + size + " bytes is over one PUT's limit");
    }
    ObjectStream stream = new ObjectStream(size, contentType);
    HttpUrl url = endpoint.newBuilder().addPathSegment(bucket).addPathSegments(key).build();
    Request request;
    try {
      request =
          Signer.signV4S3(
              new Request.Builder()
                  .url(url)
                  .put(stream.body())
                  .header("Host", hostHeader(url))
                  .header("x-amz-date", ZonedDateTime.now(Time.UTC).format(Time.AMZ_DATE_FORMAT))
                  .header("x-amz-content-sha256", UNSIGNED_PAYLOAD)
                  .build(),
              REGION,
              accessKey,
              secretKey,
              UNSIGNED_PAYLOAD);
    } catch (MinioException e) {
      throw failure(e);
    }
    var call = http.newCall(request);
    try {
      // A thread of its own with a blocking call, not OkHttp's dispatcher: the dispatcher runs at
      // most 5 requests per host, and uploads waiting for their clients must not hold up the
      // registry's other requests to the store.
      uploaders.execute(() -> stream.run(call, this));
    } catch (RejectedExecutionException e) {
      stream.failed(new StoreUnavailableException("the registry is shutting down", e));
    }
    return stream;
  }

  private static String hostHeader(HttpUrl url) {
    String host = url.host().contains(":") ? "[" + url.host() + "]" : url.host();
    return url.port() == HttpUrl.defaultPort(url.scheme()) ? host : host + ":" + url.port();
  }

  public Optional<StoredObject> get(String key) {
    return call(
        () -> {
          try (var response =
              client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            byte[] data = response.readAllBytes();
            return Optional.of(new StoredObject(data, unquoted(response.headers().get("ETag"))));
          } catch (ErrorResponseException e) {
            if (isNotFound(e)) {
              return Optional.empty();
            }
            throw e;
          }
        });
  }

  /** A stream of the object's bytes, empty when it does not exist; the caller closes it. */
  public Optional<InputStream> open(String key) {
    return call(
        () -> {
          try {
            return Optional.of(
                client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build()));
          } catch (ErrorResponseException e) {
            if (isNotFound(e)) {
              return Optional.empty();
            }
            throw e;
          }
        });
  }

  public boolean exists(String key) {
    return call(
        () -> {
          try {
            client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return true;
          } catch (ErrorResponseException e) {
            if (isNotFound(e)) {
              return false;
            }
            throw e;
          }
        });
  }

  /** Every object under {@code prefix}, at any depth, in key order. */
  public List<ListedObject> list(String prefix) {
    return listing(prefix, true).stream().filter(o -> !o.key().endsWith("/")).toList();
  }

  /** The immediate "folders" under {@code prefix} (each ending in '/'), in key order. */
  public List<String> listFolders(String prefix) {
    return listing(prefix, false).stream()
        .map(ListedObject::key)
        .filter(k -> k.endsWith("/"))
        .toList();
  }

  /** The objects directly under {@code prefix}, without descending into folders. */
  public List<ListedObject> listShallow(String prefix) {
    return listing(prefix, false).stream().filter(o -> !o.key().endsWith("/")).toList();
  }

  private List<ListedObject> listing(String prefix, boolean recursive) {
    return call(
        () -> {
          List<ListedObject> out = new ArrayList<>();
          for (Result<Item> result :
              client.listObjects(
                  ListObjectsArgs.builder()
                      .bucket(bucket)
                      .prefix(prefix)
                      .recursive(recursive)
                      .build())) {
            Item item = result.get();
            out.add(
                new ListedObject(
                    item.objectName(),
                    item.isDir() ? "" : unquoted(item.etag()),
                    item.isDir() ? 0 : item.size(),
                    item.isDir() || item.lastModified() == null
                        ? null
                        : item.lastModified().toInstant()));
          }
          return out;
        });
  }

  public void delete(String key) {
    call(
        () -> {
          client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
          return null;
        });
  }

  /** Deletes every object under {@code prefix}. */
  public void deleteAll(String prefix) {
    for (ListedObject object : list(prefix)) {
      delete(object.key());
    }
  }

  /** A multipart upload that was started and neither completed nor aborted. */
  public record PendingUpload(String key, String uploadId, Instant initiated) {}

  /** The unfinished multipart uploads under {@code prefix}. */
  public List<PendingUpload> pendingUploads(String prefix) {
    return call(
        () -> {
          List<PendingUpload> out = new ArrayList<>();
          String keyMarker = null;
          String uploadIdMarker = null;
          while (true) {
            ListMultipartUploadsResult page =
                async
                    .listMultipartUploads(
                        ListMultipartUploadsArgs.builder()
                            .bucket(bucket)
                            .prefix(prefix)
                            .keyMarker(keyMarker)
                            .uploadIdMarker(uploadIdMarker)
                            .build())
                    .get()
                    .result();
            for (var upload : page.uploads()) {
              out.add(
                  new PendingUpload(
                      upload.objectName(),
                      upload.uploadId(),
                      upload.initiated() == null ? Instant.EPOCH : upload.initiated().toInstant()));
            }
            if (!page.isTruncated()) {
              return out;
            }
            keyMarker = page.nextKeyMarker();
            uploadIdMarker = page.nextUploadIdMarker();
          }
        });
  }

  /** Aborts a multipart upload, removing the parts it stored. */
  public void abort(PendingUpload upload) {
    call(
        () ->
            async
                .abortMultipartUpload(
                    AbortMultipartUploadArgs.builder()
                        .bucket(bucket)
                        .object(upload.key())
                        .uploadId(upload.uploadId())
                        .build())
                .get());
  }

  /** Whether the store answers and the bucket is there (creating it when missing). */
  public boolean ping() {
    return problem().isEmpty();
  }

  /** What is wrong with the store, or empty when it answers and the bucket is there. */
  public Optional<StoreException> problem() {
    try {
      ensureBucket();
      return Optional.empty();
    } catch (StoreException e) {
      return Optional.of(e);
    }
  }

  @Override
  public void close() {
    uploaders.shutdownNow();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  @FunctionalInterface
  private interface StoreCall<T> {
    T run() throws Exception;
  }

  private <T> T conditional(String key, StoreCall<T> action) throws PreconditionFailedException {
    try {
      return action.run();
    } catch (ErrorResponseException e) {
      String code = e.errorResponse().code();
      int status = e.response() == null ? 0 : e.response().code();
      // If-Match on an object deleted meanwhile cannot hold either
      if ("PreconditionFailed".equals(code)
          || "NoSuchKey".equals(code)
          || status == 412
          || status == 409) {
        throw new PreconditionFailedException(key);
      }
      throw failure(e);
    } catch (Exception e) {
      throw failure(e);
    }
  }

  private <T> T call(StoreCall<T> action) {
    try {
      return action.run();
    } catch (Exception e) {
      throw failure(e);
    }
  }

  /** What a failed request means for the registry (see the class comment). */
  StoreException failure(Throwable e) {
    if ((e instanceof ExecutionException || e instanceof CompletionException)
        && e.getCause() != null) {
      return failure(e.getCause());
    }
    if (e instanceof StoreException known) {
      return known;
    }
    if (e instanceof ErrorResponseException error) {
      return refusal(
          error.response() == null ? 0 : error.response().code(),
          error.errorResponse().code(),
          error.errorResponse().message(),
          e);
    }
    if (e instanceof ServerException server) {
      return new StoreUnavailableException("object store answered HTTP " + server.statusCode(), e);
    }
    Throwable cause = e instanceof MinioException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof IOException) {
      return new StoreUnavailableException("object store unreachable: " + cause.getMessage(), e);
    }
    return new StoreUnavailableException("object store failed: " + e, e);
  }

  /** The same for an error answer to a request made without the MinIO client. */
  StoreException refusal(Response response) {
    String code = "HTTP " + response.code();
    String message = null;
    try {
      String body = response.body() == null ? "" : response.body().string();
      if (!body.isEmpty()) {
        ErrorResponse error = Xml.unmarshal(ErrorResponse.class, body);
        code = error.code();
        message = error.message();
      }
    } catch (IOException | MinioException | RuntimeException e) {
      // not an S3 error document: the status alone has to do
    }
    return refusal(response.code(), code, message, null);
  }

  private StoreException refusal(int status, String code, String message, Throwable cause) {
    if (status >= 500 || status == 408 || status == 429 || TRANSIENT_CODES.contains(code)) {
      return new StoreUnavailableException(
          "object store answered HTTP " + status + " (" + code + ")", cause);
    }
    String what = message == null || message.isBlank() ? code : code + ": " + message;
    return new StoreMisconfiguredException(
        "object store refused the registry's request (" + what + "); " + remedy(code), cause);
  }

  /** What an operator should look at for a refusal. */
  private String remedy(String code) {
    return switch (code) {
      case "InvalidAccessKeyId",
          "SignatureDoesNotMatch",
          "AccessDenied",
          "InvalidToken",
          "ExpiredToken",
          "AllAccessDisabled" ->
          "check the registry's S3 credentials (piddm.registry.s3.access-key, "
              + "piddm.registry.s3.secret-key) and their rights on bucket "
              + bucket;
      case "NoSuchBucket" -> "bucket " + bucket + " does not exist (piddm.registry.s3.bucket)";
      case "AuthorizationHeaderMalformed",
          "PermanentRedirect",
          "IllegalLocationConstraintException" ->
          "bucket " + bucket + " is in another region or behind another endpoint";
      case "RequestTimeTooSkewed" -> "the registry's clock differs too much from the store's";
      default -> "check the registry's S3 settings (piddm.registry.s3.*)";
    };
  }

  private static boolean isNotFound(ErrorResponseException e) {
    String code = e.errorResponse().code();
    return "NoSuchKey".equals(code)
        || "NoSuchObject".equals(code)
        || "NotFound".equals(code)
        || (e.response() != null && e.response().code() == 404 && !"NoSuchBucket".equals(code));
  }

  private static String quoted(String etag) {
    return etag.startsWith("\"") ? etag : "\"" + etag + "\"";
  }

  private static String unquoted(String etag) {
    if (etag == null) {
      return "";
    }
    return etag.startsWith("\"") && etag.endsWith("\"") && etag.length() >= 2
        ? etag.substring(1, etag.length() - 1)
        : etag;
  }
}
