package io.piddm.registry.store;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.UploadObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.MinioException;
import io.minio.errors.ServerException;
import io.minio.messages.Item;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;

/**
 * The registry's only way to the bucket: the MinIO client over an S3 endpoint (the embedded S3Proxy
 * or an external MinIO). Missing objects come back empty, lost conditional writes as {@link
 * PreconditionFailedException}, and anything that means "the store is not there" as {@link
 * StoreUnavailableException}.
 */
public final class ObjectStore implements AutoCloseable {

  /**
   * Files up to this size go up in one PUT; larger ones in parts of this size. S3Proxy reads a
   * signed (AWS V4, non-chunked) request body whole to check its hash and refuses those over 128
   * MiB, so parts stay well below that.
   */
  private static final long MAX_SINGLE_PART = 64L * 1024 * 1024;

  private static final long MIN_PART = 5L * 1024 * 1024;

  private final MinioClient client;
  private final OkHttpClient http;
  private final String bucket;

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
            .region("us-east-1")
            .httpClient(http, true)
            .build();
    this.bucket = bucket;
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

  /** Uploads a local file from disk: one PUT up to 64 MiB, parts of 64 MiB above. */
  public void putFile(String key, Path file, String contentType) {
    call(
        () -> {
          long size = Files.size(file);
          long part = size <= MAX_SINGLE_PART ? Math.max(MIN_PART, size) : MAX_SINGLE_PART;
          client.uploadObject(
              UploadObjectArgs.builder()
                  .bucket(bucket)
                  .object(key)
                  .filename(file.toString(), part)
                  .contentType(contentType.isEmpty() ? "application/octet-stream" : contentType)
                  .build());
          return null;
        });
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

  /** Whether the store answers and the bucket is there (creating it when missing). */
  public boolean ping() {
    try {
      ensureBucket();
      return true;
    } catch (StoreUnavailableException e) {
      return false;
    }
  }

  @Override
  public void close() {
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
      if ("PreconditionFailed".equals(code) || status == 412 || status == 409) {
        throw new PreconditionFailedException(key);
      }
      throw unavailable(e);
    } catch (Exception e) {
      throw unavailable(e);
    }
  }

  private static <T> T call(StoreCall<T> action) {
    try {
      return action.run();
    } catch (Exception e) {
      throw unavailable(e);
    }
  }

  private static RuntimeException unavailable(Exception e) {
    if (e instanceof StoreUnavailableException unavailable) {
      return unavailable;
    }
    Throwable cause = e;
    if (e instanceof MinioException && e.getCause() != null) {
      cause = e.getCause();
    }
    String what =
        e instanceof ServerException server
            ? "object store answered HTTP " + server.statusCode()
            : e instanceof ErrorResponseException error
                ? "object store refused the request: " + error.errorResponse().code()
                : cause instanceof IOException
                    ? "object store unreachable: " + cause.getMessage()
                    : "object store failed: " + e;
    return new StoreUnavailableException(what, e);
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
