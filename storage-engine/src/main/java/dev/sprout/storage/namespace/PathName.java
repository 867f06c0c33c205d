package dev.sprout.storage.namespace;

import dev.sprout.storage.error.InvalidNameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A validated absolute path: "/" or "/a/b", every component a valid {@linkplain #checkName name}. Paths are
 * never normalised: "." and ".." are refused rather than resolved, so no path can escape its directory.
 */
public record PathName(List<String> components) {
    /** Linux's NAME_MAX: the longest name one directory entry may have, in bytes. */
    public static final int NAME_MAX = 255;
    /** Linux's PATH_MAX, in bytes, including the terminating NUL the kernel counts. */
    public static final int PATH_MAX = 4096;

    public static final PathName ROOT = new PathName(List.of());

    public PathName {
        components = List.copyOf(components);
    }

    public static PathName parse(String path) {
        if (path == null || path.isEmpty()) {
            throw new InvalidNameException("path is empty (expected an absolute path such as \"/base/1\")");
        }
        if (path.getBytes(StandardCharsets.UTF_8).length >= PATH_MAX) {
            throw new InvalidNameException(
                    "path of " + path.length() + " characters is longer than PATH_MAX (" + PATH_MAX + " bytes)");
        }
        if (path.charAt(0) != '/') {
            throw new InvalidNameException(
                    "path \"" + printable(path) + "\" is not absolute (expected it to start with '/')");
        }
        if (path.equals("/")) {
            return ROOT;
        }
        List<String> parts = new ArrayList<>();
        for (String part : path.substring(1).split("/", -1)) {
            if (part.equals("..") || part.equals(".")) {
                throw new InvalidNameException(
                        "path \"" + printable(path) + "\" escapes its directory or names it again ('" + part
                                + "' is not allowed; give the path without it)");
            }
            if (part.isEmpty()) {
                throw new InvalidNameException(
                        "path \"" + printable(path) + "\" has an empty component (a doubled or trailing '/')");
            }
            checkName(part);
            parts.add(part);
        }
        return new PathName(parts);
    }

    /** Refuses a name that one directory entry cannot hold: empty, ".", "..", '/', NUL, or over NAME_MAX bytes. */
    public static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidNameException("name is empty");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new InvalidNameException("name \"" + name + "\" is reserved");
        }
        if (name.indexOf('/') >= 0) {
            throw new InvalidNameException("name \"" + printable(name) + "\" contains '/'");
        }
        if (name.indexOf('\0') >= 0) {
            throw new InvalidNameException("name \"" + printable(name) + "\" contains a NUL byte");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > NAME_MAX) {
            throw new InvalidNameException("name \"" + printable(name).substring(0, 32) + "…\" is " + bytes
                    + " bytes (expected: <= " + NAME_MAX + ")");
        }
        return name;
    }

    public boolean isRoot() {
        return components.isEmpty();
    }

    public PathName parent() {
        if (isRoot()) {
            throw new InvalidNameException("\"/\" has no parent");
        }
        return new PathName(components.subList(0, components.size() - 1));
    }

    public String name() {
        if (isRoot()) {
            throw new InvalidNameException("\"/\" has no name");
        }
        return components.getLast();
    }

    /** True when this path is {@code other} or lies inside it. */
    public boolean isWithin(PathName other) {
        return components.size() >= other.components.size()
                && components.subList(0, other.components.size()).equals(other.components);
    }

    private static String printable(String s) {
        return s.replace("\0", "\\0");
    }

    @Override
    public String toString() {
        return "/" + String.join("/", components);
    }
}
