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
# No root, no home, no writable image: the chart mounts an emptyDir at /tmp.
USER 65532:65532
ENV HOME=/tmp
EXPOSE 8080
ENTRYPOINT ["java", "-jar", "/opt/microvm-operator/microvm-operator.jar"]
