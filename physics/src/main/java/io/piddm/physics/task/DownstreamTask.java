package io.piddm.physics.task;

import io.piddm.physics.grid.Field;
import io.piddm.physics.metrics.SampleMetrics;
import io.piddm.physics.pde.EllipticGenerator;
import io.piddm.physics.pde.Pde;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One downstream task of a PDE: which entries of a joint field [C, S, S] are observed and which
 * parts are estimated and scored. Every method that solves the tasks (the guided teacher, the
 * data-space baseline, PIDDM reconstruction) takes its masks and scores from here, so all of them
 * see the same observations and are judged on the same entries.
 *
 * <p>Two-channel PDEs (a, u): {@code forward+bc} observes a and the boundary values of u, which the
 * problem fixes (u = 0) and any forward solve knows; {@code inverse} observes u and estimates a;
 * {@code sparse} observes the same random points of every channel and scores every channel. Burgers
 * (u over x × t, row 0 is t = 0): {@code forward} observes the initial condition and estimates the
 * later times; {@code inverse} observes the last time level and estimates the initial condition;
 * {@code sparse} as above.
 */
public final class DownstreamTask {

  /**
   * How the sparse task's points are drawn: each point of the grid is observed (in every channel)
   * with probability {@code fraction}, from a random stream of {@code seed} and the field's index,
   * so every method sees the same points of the same field.
   */
  public record SparsePoints(double fraction, long seed) {
    public SparsePoints {
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException(
            "downstream tasks: the sparse fraction must be in (0, 1], got " + fraction);
      }
    }
  }

  /**
   * A scored part of the field: rows {@code [rowFrom, rowTo)} of one channel, a negative rowTo
   * counting from past the last row (−1: through the last row), named for reports; Darcy's
   * coefficient also gets the error rate of the thresholded estimate.
   */
  public record Target(String name, int channel, int rowFrom, int rowTo, boolean errorRate) {

    /** The scored entries of a field [C, S, S] stored as floats, as a rows × S field. */
    public Field of(float[] field, int size) {
      int rows = rowTo(size) - rowFrom;
      double[] values = new double[rows * size];
      int base = channel * size * size + rowFrom * size;
      for (int k = 0; k < values.length; k++) {
        values[k] = field[base + k];
      }
      return new Field(rows, size, values);
    }

    /** Relative L2 error of the estimate's scored entries against the truth's. */
    public double relativeL2(float[] estimate, float[] truth, int size) {
      return SampleMetrics.relativeL2(of(estimate, size), of(truth, size));
    }

    /** Fraction of scored entries on the wrong side of the Darcy threshold; NaN where none. */
    public double errorRate(float[] estimate, float[] truth, int size) {
      return errorRate
          ? SampleMetrics.errorRate(
              of(estimate, size), of(truth, size), EllipticGenerator.DARCY_THRESHOLD)
          : Double.NaN;
    }

    private int rowTo(int size) {
      return rowTo < 0 ? size + 1 + rowTo : rowTo;
    }
  }

  private enum Observation {
    CHANNEL_AND_BOUNDARY,
    CHANNEL,
    FIRST_ROW,
    LAST_ROW,
    RANDOM_POINTS
  }

  private final String name;
  private final Observation observation;
  private final int observedChannel;
  private final int boundaryChannel;
  private final SparsePoints points;
  private final String observed;
  private final List<Target> targets;

  private DownstreamTask(
      String name,
      Observation observation,
      int observedChannel,
      int boundaryChannel,
      SparsePoints points,
      String observed,
      List<Target> targets) {
    this.name = name;
    this.observation = observation;
    this.observedChannel = observedChannel;
    this.boundaryChannel = boundaryChannel;
    this.points = points;
    this.observed = observed;
    this.targets = List.copyOf(targets);
  }

  /** The tasks of {@code pde}, the sparse one observing {@code points}. */
  public static List<DownstreamTask> of(Pde pde, SparsePoints points) {
    List<String> channels = pde.channels();
    List<Target> every = new ArrayList<>();
    for (int c = 0; c < channels.size(); c++) {
      every.add(new Target(channels.get(c), c, 0, -1, isDarcyCoefficient(pde, c)));
    }
    DownstreamTask sparse =
        new DownstreamTask(
            "sparse",
            Observation.RANDOM_POINTS,
            -1,
            -1,
            points,
            Math.round(points.fraction() * 100) + "% of points of " + channels,
            every);
    if (pde == Pde.BURGERS) {
      return List.of(
          new DownstreamTask(
              "forward",
              Observation.FIRST_ROW,
              0,
              -1,
              null,
              "u at t = 0",
              List.of(new Target("u at t > 0", 0, 1, -1, false))),
          new DownstreamTask(
              "inverse",
              Observation.LAST_ROW,
              0,
              -1,
              null,
              "u at t = 1",
              List.of(new Target("u at t = 0", 0, 0, 1, false))),
          sparse);
    }
    int last = channels.size() - 1;
    return List.of(
        new DownstreamTask(
            "forward+bc",
            Observation.CHANNEL_AND_BOUNDARY,
            0,
            last,
            null,
            channels.get(0) + " + boundary values of " + channels.get(last),
            List.of(every.get(last))),
        new DownstreamTask(
            "inverse",
            Observation.CHANNEL,
            last,
            -1,
            null,
            channels.get(last),
            List.of(every.get(0))),
        sparse);
  }

  private static boolean isDarcyCoefficient(Pde pde, int channel) {
    return pde == Pde.DARCY && channel == 0;
  }

  /** Task name: forward+bc, forward, inverse or sparse. */
  public String name() {
    return name;
  }

  /** What is observed, in words (for reports). */
  public String observed() {
    return observed;
  }

  /** What is scored, one entry per reported error. */
  public List<Target> targets() {
    return targets;
  }

  /**
   * The observation mask of reference field {@code field} (1 observed, 0 estimated) for a field of
   * {@code channels} × size × size.
   */
  public float[] mask(int channels, int size, int field) {
    int plane = size * size;
    float[] mask = new float[channels * plane];
    switch (observation) {
      case CHANNEL_AND_BOUNDARY -> {
        Arrays.fill(mask, observedChannel * plane, (observedChannel + 1) * plane, 1f);
        int base = boundaryChannel * plane;
        for (int i = 0; i < size; i++) {
          mask[base + i] = 1f;
          mask[base + (size - 1) * size + i] = 1f;
          mask[base + i * size] = 1f;
          mask[base + i * size + size - 1] = 1f;
        }
      }
      case CHANNEL -> Arrays.fill(mask, observedChannel * plane, (observedChannel + 1) * plane, 1f);
      case FIRST_ROW ->
          Arrays.fill(mask, observedChannel * plane, observedChannel * plane + size, 1f);
      case LAST_ROW ->
          Arrays.fill(
              mask, observedChannel * plane + plane - size, (observedChannel + 1) * plane, 1f);
      case RANDOM_POINTS -> {
        Random random = new Random(points.seed() * 31 + field);
        for (int p = 0; p < plane; p++) {
          if (random.nextDouble() < points.fraction()) {
            for (int c = 0; c < channels; c++) {
              mask[c * plane + p] = 1f;
            }
          }
        }
      }
    }
    return mask;
  }

  @Override
  public String toString() {
    return name + " (" + observed + ")";
  }
}
