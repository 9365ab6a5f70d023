package io.piddm.registry.core;

import io.piddm.proto.v1.AliasPolicy;
import io.piddm.proto.v1.GateRule;
import io.piddm.proto.v1.MetricBound;
import io.piddm.proto.v1.ModelManifest;
import java.util.Optional;
import java.util.function.BiPredicate;

/** Promotion gates: checks a policy's rules against a version and names the first that fails. */
final class Gates {

  private Gates() {}

  /** Rejects a policy that cannot be evaluated: INVALID_ARGUMENT naming the rule. */
  static void validate(AliasPolicy policy) {
    for (int i = 0; i < policy.getRulesCount(); i++) {
      GateRule rule = policy.getRules(i);
      switch (rule.getRuleCase()) {
        case METRIC_BOUND -> {
          MetricBound bound = rule.getMetricBound();
          if (bound.getMetric().isEmpty()) {
            throw Errors.invalid("rules[" + i + "]: metric_bound needs a metric name");
          }
          if (bound.getComparisonValue() <= 0 || bound.getComparison().getNumber() > 4) {
            throw Errors.invalid("rules[" + i + "]: metric_bound needs a comparison");
          }
          if (!Double.isFinite(bound.getThreshold())) {
            throw Errors.invalid("rules[" + i + "]: metric_bound threshold must be finite");
          }
        }
        case PREVIOUSLY_ON_ALIAS -> Names.alias(rule.getPreviouslyOnAlias().getAlias());
        case REQUIRED_LABEL -> {
          if (rule.getRequiredLabel().getKey().isEmpty()) {
            throw Errors.invalid("rules[" + i + "]: required_label needs a key");
          }
        }
        case RULE_NOT_SET -> throw Errors.invalid("rules[" + i + "] is empty");
      }
    }
  }

  /**
   * The first failing rule, described, or empty when the version passes. {@code wasOnAlias} answers
   * whether the version was ever the target of an alias.
   */
  static Optional<String> firstFailure(
      AliasPolicy policy, ModelManifest manifest, BiPredicate<String, Long> wasOnAlias) {
    for (GateRule rule : policy.getRulesList()) {
      Optional<String> failure =
          switch (rule.getRuleCase()) {
            case METRIC_BOUND -> metric(rule.getMetricBound(), manifest);
            case PREVIOUSLY_ON_ALIAS -> {
              String alias = rule.getPreviouslyOnAlias().getAlias();
              yield wasOnAlias.test(alias, manifest.getVersion())
                  ? Optional.empty()
                  : Optional.of(
                      "previously_on_alias "
                          + alias
                          + ": version "
                          + manifest.getVersion()
                          + " was never on "
                          + alias);
            }
            case REQUIRED_LABEL -> {
              String key = rule.getRequiredLabel().getKey();
              String value = rule.getRequiredLabel().getValue();
              yield value.equals(manifest.getLabelsMap().get(key))
                  ? Optional.empty()
                  : Optional.of(
                      "required_label "
                          + key
                          + "="
                          + value
                          + ": manifest has "
                          + manifest.getLabelsMap().getOrDefault(key, "(none)"));
            }
            case RULE_NOT_SET -> Optional.empty();
          };
      if (failure.isPresent()) {
        return failure;
      }
    }
    return Optional.empty();
  }

  private static Optional<String> metric(MetricBound bound, ModelManifest manifest) {
    String rule =
        "metric_bound " + bound.getMetric() + " " + symbol(bound) + " " + bound.getThreshold();
    Double value = manifest.getMetricsMap().get(bound.getMetric());
    if (value == null) {
      return Optional.of(rule + ": the manifest has no metric " + bound.getMetric());
    }
    boolean holds =
        switch (bound.getComparison()) {
          case COMPARISON_LESS_OR_EQUAL -> value <= bound.getThreshold();
          case COMPARISON_LESS -> value < bound.getThreshold();
          case COMPARISON_GREATER_OR_EQUAL -> value >= bound.getThreshold();
          case COMPARISON_GREATER -> value > bound.getThreshold();
          default -> false;
        };
    return holds ? Optional.empty() : Optional.of(rule + ": the version has " + value);
  }

  private static String symbol(MetricBound bound) {
    return switch (bound.getComparison()) {
      case COMPARISON_LESS_OR_EQUAL -> "<=";
      case COMPARISON_LESS -> "<";
      case COMPARISON_GREATER_OR_EQUAL -> ">=";
      case COMPARISON_GREATER -> ">";
      default -> "?";
    };
  }
}
