package io.piddm.diffusion.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.piddm.diffusion.edm.Edm;
import java.util.Random;
import java.util.function.Function;

/**
 * The EDM denoising loss on a training set: each step draws a batch of fields, noise levels and
 * noise from the step's random stream.
 */
public final class TeacherObjective implements Trainer.Objective {

  private final Edm edm;
  private final float[] data;
  private final Shape sampleShape;
  private final int batch;
  private final int count;

  /** {@code data}: normalised fields, [count, C, S, S] flattened. */
  public TeacherObjective(Edm edm, float[] data, Shape sampleShape, int batch) {
    long length = sampleShape.size();
    if (data.length == 0 || data.length % length != 0) {
      throw new IllegalArgumentException(
          "training data: " + data.length + " values is not a whole number of " + sampleShape);
    }
    this.edm = edm;
    this.data = data;
    this.sampleShape = sampleShape;
    this.batch = batch;
    this.count = Math.toIntExact(data.length / length);
  }

  @Override
  public String name() {
    return "edm-teacher";
  }

  @Override
  public NDArray loss(Function<String, NDArray> parameters, NDManager scope, Random random) {
    int length = Math.toIntExact(sampleShape.size());
    float[] x0 = new float[batch * length];
    float[] n = new float[batch];
    float[] epsilon = new float[batch * length];
    for (int b = 0; b < batch; b++) {
      System.arraycopy(data, random.nextInt(count) * length, x0, b * length, length);
      n[b] = (float) random.nextGaussian();
    }
    for (int k = 0; k < epsilon.length; k++) {
      epsilon[k] = (float) random.nextGaussian();
    }
    Shape batchShape = new Shape(batch).addAll(sampleShape);
    return edm.loss(
        parameters,
        scope.create(x0, batchShape),
        scope.create(n),
        scope.create(epsilon, batchShape));
  }
}
