# The operator's container image, the one the Helm chart runs (image microvm-operator:<version>):
#   docker build -t microvm-operator:0.1.0-SNAPSHOT .
# Stage 1 builds the runnable jar and its libraries with Maven (tests run in CI, not here);
# stage 2 is a Java 17 runtime with just those, run as an unprivileged user.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY src src
RUN mvn -B -q package -DskipTests -Dspotless.check.skip=true

FROM eclipse-temurin:17-jre
WORKDIR /opt/microvm-operator
# The jar finds its libraries through its manifest's Class-Path: lib/*.jar beside it.
COPY --from=build /src/target/lib lib
COPY --from=build /src/target/microvm-operator-*.jar microvm-operator.jar
# A class data archive of the classes the operator loads as it starts, made by one start against
# an API server that is not there (hack/class-data-archive.sh): the operator starts and syncs its
# caches sooner (docs/benchmarks.md). The JVM ignores it when it no longer fits the jar.
COPY hack/class-data-archive.sh /tmp/class-data-archive.sh
RUN sh /tmp/class-data-archive.sh /opt/microvm-operator/microvm-operator.jsa 20 \
      java -Xmx256m -jar /opt/microvm-operator/microvm-operator.jar \
    && rm /tmp/class-data-archive.sh
# No root, no home, no writable image: the chart mounts an emptyDir at /tmp.
USER 65532:65532
ENV HOME=/tmp
EXPOSE 8080
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/opt/microvm-operator/microvm-operator.jsa", \
            "-jar", "/opt/microvm-operator/microvm-operator.jar"]
