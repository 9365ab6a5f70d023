package io.piddm.pipeline;

import io.piddm.diffusion.net.UNetSpec;
import io.piddm.diffusion.train.TeacherTraining;
import java.util.List;

/** The UNet presets a run can name: {@code auto} picks by resolution. */
public final class Presets {

  public static final List<String> NAMES = List.of("auto", "tiny", "unet-32", "unet-64");

  private Presets() {}

  public static UNetSpec network(String preset, int resolution, int channels) {
    return switch (preset) {
      case "auto" -> TeacherTraining.presetFor(resolution, channels);
      case "tiny" -> UNetSpec.tiny(channels);
      case "unet-32" -> UNetSpec.preset32(channels);
      case "unet-64" -> UNetSpec.preset64(channels);
      default ->
          throw new IllegalArgumentException(
              "teacher.preset must be one of " + NAMES + ", got \"" + preset + "\"");
    };
  }
}
