package io.piddm.api.sampler;

/**
 * The result of a reconstruction: the ensemble mean (the field for one member) and population
 * standard deviation, C × H × W each, the members when there were several, the PDE error of the
 * mean as the sampler reports it (mean R²) and ‖R‖/‖f‖ computed here (NaN when the PDE is not
 * known), the relative observation error (mean over members), the settings the run used (the
 * request's, or the model's defaults where it left them unset), and latencies.
 */
public record Reconstructed(
    ServedModel model,
    float[] mean,
    float[] spread,
    float[][] members,
    double pdeError,
    double relativePdeError,
    double observationError,
    Settings settings,
    double serverMillis,
    double roundTripMillis) {

  /** Steps, learning rate and weights of a run. */
  public record Settings(
      int steps, double learningRate, double lambdaObs, double lambdaPde, double lambdaSolution) {}

  /** Adam steps run. */
  public int steps() {
    return settings.steps();
  }

  /** [C, H, W]. */
  public int[] shape() {
    return new int[] {model.channelCount(), model.height(), model.width()};
  }
}
