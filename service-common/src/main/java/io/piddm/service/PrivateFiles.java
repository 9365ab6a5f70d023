package io.piddm.service;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Files only their owner may read: secrets and the folders that hold them are created with
 * owner-only permissions from the first byte (never written, then narrowed), and a secret that
 * other accounts can read is named with the command that fixes it. On file systems without POSIX
 * permissions the platform's defaults apply.
 */
public final class PrivateFiles {

  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_DIR =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private PrivateFiles() {}

  /**
   * Creates the missing folders of {@code dir}, each owner-only; existing ones stay as they are.
   */
  public static void createDirectories(Path dir) throws IOException {
    Path absolute = dir.toAbsolutePath().normalize();
    List<Path> missing = new ArrayList<>();
    for (Path p = absolute; p != null && !Files.exists(p); p = p.getParent()) {
      missing.add(0, p);
    }
    for (Path p : missing) {
      try {
        if (posix(p.getParent())) {
          Files.createDirectory(p, OWNER_ONLY_DIR);
        } else {
          Files.createDirectory(p);
        }
      } catch (FileAlreadyExistsException raced) {
        // another process made it first: keep theirs
      }
    }
  }

  /**
   * Writes {@code text} into a new owner-only file; fails if the file exists, so a secret is never
   * overwritten nor written through a planted link.
   */
  public static void writeNew(Path file, String text) throws IOException {
    createDirectories(file.toAbsolutePath().getParent());
    boolean posix = posix(file.toAbsolutePath().getParent());
    try (OutputStream out =
        Files.newOutputStream(
            posix ? Files.createFile(file, OWNER_ONLY_FILE) : Files.createFile(file),
            StandardOpenOption.WRITE)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * The permissions other accounts have on {@code file} ("group read", "others read", …), or empty
   * when only its owner can read it or the file system has no POSIX permissions.
   */
  public static Optional<String> sharedWith(Path file) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) {
      return Optional.empty();
    }
    Set<PosixFilePermission> permissions = view.readAttributes().permissions();
    List<String> shared = new ArrayList<>();
    if (permissions.contains(PosixFilePermission.GROUP_READ)) {
      shared.add("its group can read it");
    }
    if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
      shared.add("every account can read it");
    }
    return shared.isEmpty() ? Optional.empty() : Optional.of(String.join(" and ", shared));
  }

  /**
   * The warning for a secret other accounts can read, with the command that fixes it, or empty when
   * the file is private. Not a refusal: mounted secrets are often 0644.
   */
  public static Optional<String> exposure(Path secret, String what) throws IOException {
    return sharedWith(secret)
        .map(
            who ->
                what
                    + " "
                    + secret
                    + " is not private: "
                    + who
                    + "; fix with: chmod 600 "
                    + secret);
  }

  private static boolean posix(Path existingDir) {
    Path probe = existingDir == null ? Path.of("/") : existingDir;
    while (probe != null && !Files.exists(probe)) {
      probe = probe.getParent();
    }
    return probe != null && Files.getFileAttributeView(probe, PosixFileAttributeView.class) != null;
  }
}
