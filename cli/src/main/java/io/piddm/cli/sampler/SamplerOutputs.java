package io.piddm.cli.sampler;

import io.piddm.api.sampler.FieldLayout;
import io.piddm.api.sampler.Generated;
import io.piddm.api.sampler.Reconstructed;
import io.piddm.api.sampler.ServedModel;
import io.piddm.physics.grid.Field;
import io.piddm.physics.metrics.SampleMetrics;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.render.FieldRenderer;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files {@code piddm sample} and {@code piddm reconstruct} write: float32 {@code .npy} arrays
 * ({@link NpyFields}) and PNG sheets of viridis heatmaps ({@link FieldRenderer}, as a dataset's
 * {@code preview.png}), each written by rename.
 */
public final class SamplerOutputs {

  public static final String SAMPLES_NPY = "samples.npy";
  public static final String SAMPLES_PNG = "samples.png";
  public static final String RECONSTRUCTION_NPY = "reconstruction.npy";
  public static final String SPREAD_NPY = "spread.npy";
  public static final String MEMBERS_NPY = "members.npy";
  public static final String RECONSTRUCTION_PNG = "reconstruction.png";

  /** Most fields drawn in a samples sheet (the .npy holds them all). */
  public static final int MAX_SHEET_ROWS = 16;

  /** Relative L2 of one channel against a reference, and Darcy's error rate for its coefficient. */
  public record ChannelError(
      String channel, boolean observed, double relativeL2, Double errorRate) {}

  private SamplerOutputs() {}

  /** {@code dir/samples.npy} (N × C × H × W) and {@code dir/samples.png}; returns both paths. */
  public static List<Path> writeSamples(Path dir, Generated g) throws IOException {
    Path npy = dir.resolve(SAMPLES_NPY);
    Path png = dir.resolve(SAMPLES_PNG);
    NpyFields.write(npy, g.flat(), g.shape());
    FieldRenderer.writePng(samplesSheet(g), png);
    return List.of(npy, png);
  }

  /** One row per field (at most {@link #MAX_SHEET_ROWS}), one column per channel. */
  public static BufferedImage samplesSheet(Generated g) {
    ServedModel m = g.model();
    List<FieldRenderer.Panel> panels = new ArrayList<>();
    for (int i = 0; i < Math.min(MAX_SHEET_ROWS, g.count()); i++) {
      for (int c = 0; c < m.channelCount(); c++) {
        panels.add(
            new FieldRenderer.Panel(
                FieldLayout.channel(g.fields()[i], 0, c, m.channelCount(), m.height(), m.width()),
                String.format("#%d %s  PDE err %.3g", i, m.channels().get(c), g.pdeError()[i])));
      }
    }
    return FieldRenderer.sheet(panels, m.channelCount());
  }

  /**
   * {@code dir/reconstruction.npy} (C × H × W, the mean), for an ensemble also {@code spread.npy}
   * and {@code members.npy} (M × C × H × W), and {@code dir/reconstruction.png}; returns the paths.
   */
  public static List<Path> writeReconstruction(
      Path dir, Reconstructed r, Observations.Planes observations, float[] mask, float[] truth)
      throws IOException {
    List<Path> written = new ArrayList<>();
    Path npy = dir.resolve(RECONSTRUCTION_NPY);
    NpyFields.write(npy, r.mean(), r.shape());
    written.add(npy);
    if (r.members().length > 1) {
      Path spread = dir.resolve(SPREAD_NPY);
      NpyFields.write(spread, r.spread(), r.shape());
      int[] s = r.shape();
      Path members = dir.resolve(MEMBERS_NPY);
      NpyFields.write(
          members, FieldLayout.stack(r.members()), r.members().length, s[0], s[1], s[2]);
      written.add(spread);
      written.add(members);
    }
    Path png = dir.resolve(RECONSTRUCTION_PNG);
    FieldRenderer.writePng(reconstructionSheet(r, observations, mask, truth), png);
    written.add(png);
    return written;
  }

  /**
   * Three rows, one column per channel: the observations (grey where nothing is observed), the
   * reconstruction, and the error: |reconstruction − truth| per channel when a reference is given,
   * else the magnitude of the PDE residual of the reconstruction (the reconstruction equals the
   * observations on the observed entries, so they cannot show an error).
   */
  public static BufferedImage reconstructionSheet(
      Reconstructed r, Observations.Planes observations, float[] mask, float[] truth) {
    ServedModel m = r.model();
    int channels = m.channelCount();
    int h = m.height();
    int w = m.width();
    int plane = h * w;
    List<FieldRenderer.Panel> panels = new ArrayList<>();
    boolean sameGrid =
        observations.channels() == channels
            && observations.height() == h
            && observations.width() == w;
    for (int c = 0; c < channels; c++) {
      double[] v = new double[plane];
      int observed = 0;
      for (int k = 0; k < plane; k++) {
        boolean on = sameGrid && mask[c * plane + k] != 0;
        observed += on ? 1 : 0;
        v[k] = on ? observations.data()[c * plane + k] : Double.NaN;
      }
      String name = m.channels().get(c);
      panels.add(
          observed == 0
              ? new FieldRenderer.Panel(Field.zeros(h, w), name + " not observed")
              : new FieldRenderer.Panel(
                  new Field(h, w, v), name + " observed (" + observed + ", grey: not)"));
    }
    for (int c = 0; c < channels; c++) {
      panels.add(
          new FieldRenderer.Panel(
              FieldLayout.channel(r.mean(), 0, c, channels, h, w),
              m.channels().get(c) + " reconstructed"));
    }
    if (truth != null) {
      for (int c = 0; c < channels; c++) {
        double[] v = new double[plane];
        for (int k = 0; k < plane; k++) {
          v[k] = Math.abs(r.mean()[c * plane + k] - truth[c * plane + k]);
        }
        panels.add(
            new FieldRenderer.Panel(new Field(h, w, v), "|" + m.channels().get(c) + " − truth|"));
      }
    } else {
      // x_mix equals the observations where they are observed, so the error without a reference
      // is the PDE's: where the reconstruction breaks it.
      m.residualMap(r.mean(), 0)
          .ifPresent(
              res ->
                  panels.add(
                      new FieldRenderer.Panel(
                          res, String.format("|PDE residual| (mean R² %.3g)", r.pdeError()))));
    }
    return FieldRenderer.sheet(panels, channels);
  }

  /**
   * Per channel: relative L2 of {@code estimate} against {@code truth} (both C × H × W), and for
   * Darcy's coefficient the error rate after thresholding at 7.5. NaN where the truth is zero.
   */
  public static List<ChannelError> compare(
      ServedModel m, float[] estimate, float[] truth, boolean[] observed) {
    List<ChannelError> errors = new ArrayList<>();
    boolean darcy = m.pde().equals("darcy");
    for (int c = 0; c < m.channelCount(); c++) {
      Field e = FieldLayout.channel(estimate, 0, c, m.channelCount(), m.height(), m.width());
      Field t = FieldLayout.channel(truth, 0, c, m.channelCount(), m.height(), m.width());
      double l2;
      try {
        l2 = SampleMetrics.relativeL2(e, t);
      } catch (IllegalArgumentException zero) {
        l2 = Double.NaN;
      }
      Double rate =
          darcy && m.channels().get(c).equals("a")
              ? SampleMetrics.errorRate(e, t, EllipticGenerator.DARCY_THRESHOLD)
              : null;
      errors.add(new ChannelError(m.channels().get(c), observed[c], l2, rate));
    }
    return errors;
  }
}
