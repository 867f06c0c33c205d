import java.io.IOException;
import java.io.OutputStream;
import java.lang.classfile.ClassElement;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Build step of the cli module (run by the JDK's source launcher at {@code prepare-package}): copies a jar with its
 * classes of a class-file version below 52 (Java 8) rewritten as version 52, with the stack-map frames the JDK's
 * class-file API computes for them; everything else is copied as it is.
 *
 * <p>Why: picocli is compiled for Java 5 (version 49). The JVM keeps classes that old out of its class-data archive
 * and its ahead-of-time cache, so a short command loaded, parsed and linked picocli's ~130 classes from the jar at
 * every start (about 55 ms of `sprout branch list`, measured in docs/benchmarks.md). The rewritten classes have the
 * same bytecode and behave the same; only their version and the frames that version requires are new.
 *
 * <p>usage: {@code java Retarget.java IN.jar OUT.jar}. OUT is written beside itself and moved into place.
 */
public final class Retarget {
    private static final int JAVA_8 = ClassFile.JAVA_8_VERSION;

    private Retarget() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java Retarget.java IN.jar OUT.jar");
            System.exit(2);
        }
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        int rewritten = 0;
        // the frames need the class hierarchy of the jar's own classes (and the JDK's): read from the jar itself
        try (URLClassLoader hierarchy = new URLClassLoader(new URL[] {in.toUri().toURL()}, null);
                ZipInputStream source = new ZipInputStream(Files.newInputStream(in));
                OutputStream file = Files.newOutputStream(partial);
                ZipOutputStream target = new ZipOutputStream(file)) {
            ClassFile classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
                    ClassHierarchyResolver.defaultResolver().orElse(ClassHierarchyResolver.ofResourceParsing(hierarchy))));
            for (ZipEntry entry; (entry = source.getNextEntry()) != null; ) {
                byte[] bytes = source.readAllBytes();
                if (entry.getName().endsWith(".class") && !entry.getName().startsWith("META-INF/")) {
                    ClassModel model = classFile.parse(bytes);
                    if (model.majorVersion() < JAVA_8) {
                        bytes = classFile.build(model.thisClass().asSymbol(), builder -> {
                            for (ClassElement element : model) {
                                if (element instanceof ClassFileVersion) {
                                    builder.withVersion(JAVA_8, 0);
                                } else {
                                    builder.with(element);
                                }
                            }
                        });
                        rewritten++;
                    }
                }
                ZipEntry copy = new ZipEntry(entry.getName());
                copy.setTime(entry.getTime());
                target.putNextEntry(copy);
                target.write(bytes);
                target.closeEntry();
            }
        }
        Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("Retarget: " + rewritten + " classes of " + in.getFileName() + " rewritten as Java 8 classes");
    }
}
