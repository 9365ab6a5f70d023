package io.piddm.diffusion.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Files that appear whole or not at all: written beside their name, then renamed over it. */
public final class AtomicFiles {

  /** What writes a file's bytes. */
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  private AtomicFiles() {}

  public static Path write(Path dir, String name, Content content) throws IOException {
    Path temporary = dir.resolve(name + ".tmp");
    try (OutputStream out = Files.newOutputStream(temporary)) {
      content.writeTo(out);
    }
    return Files.move(
        temporary,
        dir.resolve(name),
        StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
  }
}
