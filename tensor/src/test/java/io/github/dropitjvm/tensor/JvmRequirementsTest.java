package io.github.dropitjvm.tensor;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class JvmRequirementsTest {

    @Test
    void passesUnderSurefireWhoseArgLineAddsTheVectorModule() {
        assertDoesNotThrow(JvmRequirements::requireVectorModule);
    }

    @Test
    void acceptsJava25WithTheModule() {
        assertNull(JvmRequirements.problem(25, true));
        assertNull(JvmRequirements.problem(26, true));
    }

    @Test
    void refusesAnOldJavaOrAMissingModuleWithOneLineThatSaysHowToStart() {
        for (String message : new String[] {
                JvmRequirements.problem(17, false), JvmRequirements.problem(25, false)}) {
            assertFalse(message.contains("\n"), message);
            assertTrue(message.contains("--add-modules jdk.incubator.vector"), message);
            assertTrue(message.contains("--enable-native-access=ALL-UNNAMED"), message);
            assertTrue(message.contains("./dropit"), message);
        }
        assertTrue(JvmRequirements.problem(17, true).contains("Java 17"));
        assertTrue(JvmRequirements.problem(25, false).contains("without the jdk.incubator.vector module"));
    }

    @Test
    void versionStringComesFromTheFilteredResource() throws IOException {
        Properties props = new Properties();
        try (InputStream in = JvmRequirements.class.getResourceAsStream("/dropit-version.properties")) {
            assertTrue(in != null, "dropit-version.properties is on the classpath");
            props.load(in);
        }
        String version = props.getProperty("version");
        assertFalse(version.contains("${"), "the build filtered the resource: " + version);
        assertFalse(props.getProperty("commit").isBlank());

        String shown = JvmRequirements.versionString();
        assertFalse(shown.isBlank());
        assertTrue(shown.startsWith(version + " (commit "), shown);
    }
}
