package dev.sprout.http.auth;

import dev.sprout.protocol.BranchName;
import java.util.regex.Pattern;

/**
 * The branches a token's {@code branch-write} scope covers: a branch name in which {@code *} stands for any run of
 * characters (also none, also {@code /}) and {@code ?} for one character; everything else is literal. {@code pr-*}
 * covers {@code pr-1} and {@code pr-12/fix}; {@code *} covers every branch.
 *
 * @param glob the pattern as given
 */
public record BranchPattern(String glob) {
    /** Every branch. */
    public static final BranchPattern ANY = new BranchPattern("*");

    public BranchPattern {
        if (glob == null || glob.isEmpty()) {
            throw new IllegalArgumentException("a branch pattern may not be empty (\"*\" covers every branch)");
        }
        if (glob.length() > BranchName.MAX_LENGTH) {
            throw new IllegalArgumentException("the branch pattern \"" + glob
                    + "\" is longer than a branch name may be (" + BranchName.MAX_LENGTH + " characters)");
        }
        String literal = glob.replace('*', 'a').replace('?', 'a');
        if (!BranchName.isValid(literal)) {
            throw new IllegalArgumentException("the branch pattern \"" + glob + "\" can match no branch name: a branch"
                    + " name " + BranchName.RULE + "; the pattern adds * (any run of characters) and ? (one)");
        }
    }

    /** Whether {@code branch} is one of the branches this pattern covers. */
    public boolean matches(String branch) {
        return regex().matcher(branch).matches();
    }

    private Pattern regex() {
        StringBuilder re = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            if (c == '*' || c == '?') {
                if (!literal.isEmpty()) {
                    re.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                re.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (!literal.isEmpty()) {
            re.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL);
    }

    @Override
    public String toString() {
        return glob;
    }
}
