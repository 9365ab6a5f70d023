package io.piddm.registry.core;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Opaque page tokens: a kind and a position, so a token of one listing is refused by another and
 * anything this registry did not issue is INVALID_ARGUMENT.
 */
final class PageTokens {

  static final int DEFAULT_PAGE = 100;
  static final int MAX_PAGE = 1000;

  private PageTokens() {}

  static String issue(String kind, String position) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(("piddm1|" + kind + "|" + position).getBytes(StandardCharsets.UTF_8));
  }

  /** The position in {@code token}, or null for the first page. */
  static String position(String kind, String token) {
    if (token == null || token.isEmpty()) {
      return null;
    }
    String decoded;
    try {
      decoded = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw Errors.invalid("page_token was not issued by this registry");
    }
    String prefix = "piddm1|" + kind + "|";
    if (!decoded.startsWith(prefix)) {
      throw Errors.invalid("page_token was not issued by this registry for this listing");
    }
    return decoded.substring(prefix.length());
  }

  static long numericPosition(String kind, String token) {
    String position = position(kind, token);
    if (position == null) {
      return -1;
    }
    try {
      return Long.parseLong(position);
    } catch (NumberFormatException e) {
      throw Errors.invalid("page_token was not issued by this registry");
    }
  }

  static int pageSize(int requested) {
    if (requested < 0) {
      throw Errors.invalid("page_size must not be negative");
    }
    return requested == 0 ? DEFAULT_PAGE : Math.min(requested, MAX_PAGE);
  }
}
