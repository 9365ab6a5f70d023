package io.piddm.diffusion.net;

import java.util.function.Function;

/**
 * The one-step PIDDM student d(ε), written once against {@link Ops} so training (DJL) and export
 * (ONNX) run the same function: the teacher's network F evaluated at σ_max on σ_max·ε, then the
 * PDE's output constraint,
 *
 * <pre>
 *   d(ε) = constrain(c_out(σ_max) F(c_in(σ_max) σ_max ε, c_noise(σ_max))),
 * </pre>
 *
 * in normalised units; {@link #physical} applies the model's per-channel de-normalisation. With
 * σ_max fixed, every preconditioning factor is a constant and the noise input is the same for every
 * sample.
 *
 * <p>The EDM denoiser's skip path c_skip(σ_max)·σ_max·ε is left out on purpose: at σ_max = 80 it
 * copies 0.003125·ε of white noise into every output, which F has to learn to cancel pixel by
 * pixel; trained students reach the same PDE error with or without it
 * (docs/results/sweeps/darcy32-skip-path-seed1), so it is a noise path with no use. Initialised
 * from the teacher, the student's first output differs from the teacher's one-step denoiser only by
 * that noise.
 */
public final class Student {

  /** σ_max of the teacher's ODE, where the student starts. */
  public static final double SIGMA = 80;

  private final UNet net;
  private final OutputConstraint constraint;

  public Student(UNet net, OutputConstraint constraint) {
    this.net = net;
    this.constraint = constraint;
  }

  public UNet net() {
    return net;
  }

  /** d(ε) in normalised units; ε [N, C, S, S]. */
  public <T> T forward(Ops<T> ops, Function<String, T> param, T epsilon) {
    T cNoise = ops.perSampleConstant(epsilon, Preconditioning.cNoise(SIGMA));
    T f = net.forward(ops, param, ops.scale(epsilon, SIGMA * Preconditioning.cIn(SIGMA)), cNoise);
    return constraint.apply(ops, ops.scale(f, Preconditioning.cOut(SIGMA)));
  }

  /** d(ε) in physical units: normalised · std + mean per channel. */
  public <T> T physical(
      Ops<T> ops, Function<String, T> param, T epsilon, double[] std, double[] mean) {
    return ops.channelAffine(forward(ops, param, epsilon), std, mean);
  }
}
