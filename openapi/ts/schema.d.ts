// Generated from openapi/berth.json by `npm run openapi` (openapi-typescript). Do not edit.
export interface paths {
    "/_ping": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Ping the daemon
         * @description Answers OK with the headers clients negotiate with: Api-Version, OSType, Docker-Experimental. HEAD answers the same headers with no body.
         */
        get: operations["SystemPing"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/version": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Versions of berthd and of the programs it drives */
        get: operations["SystemVersion"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/system/df": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Disk usage of images, containers, volumes and build cache */
        get: operations["SystemDataUsage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/info": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** System-wide information */
        get: operations["SystemInfo"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check registry credentials (docker login)
         * @description The credentials are tried on the registry's /v2/ as its challenge asks (Basic, or a Bearer token its realm gives for them), reached as a pull reaches it (insecure registries, `certs.d`), never through a mirror. berthd keeps nothing: the client stores the credentials and sends them in X-Registry-Auth with each pull and push. Refused credentials are a 401 with the registry's reason.
         */
        post: operations["SystemAuth"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** This API's OpenAPI document */
        get: operations["OpenApiDocument"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List containers (alias of /containers/json)
         * @description Running and restarting containers; all of them with all=1, a positive limit or a status filter, as Docker does. Newest first.
         */
        get: operations["ContainerListAlias"];
        put?: never;
        /**
         * Create a container from an OCI bundle
         * @description Copies the bundle's config.json into berth's state (root.path made absolute), starts one conmon monitor, and waits for the runtime's create. The container is left created, not started.
         */
        post: operations["ContainerCreateFromBundle"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a container from an image (Docker's create)
         * @description Docker's body: the image's layers become the container's overlay rootfs, and the OCI spec is made as Docker makes it (namespaces, default mounts and capabilities, masked paths, /etc/hostname, hosts and resolv.conf, Env, User, WorkingDir, Entrypoint and Cmd merged with the image's, the HostConfig limits). A field set to a value berth does not support is refused with a 400 naming it; the zero values clients send for unused fields are accepted. 404 `No such image` for an unknown image.
         */
        post: operations["ContainerCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List containers
         * @description Running and restarting containers; all of them with all=1, a positive limit or a status filter, as Docker does. Newest first.
         */
        get: operations["ContainerList"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Inspect a container */
        get: operations["ContainerInspect"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start a container
         * @description Starts a created container; an exited one runs again with a new monitor, as Docker does. Its RestartCount starts over. 304 if it is running or restarting.
         */
        post: operations["ContainerStart"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/kill": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a signal to a container
         * @description SIGKILL (the default) is answered once the container has stopped and its exit is on record, as Docker does; any other signal at once. A container killed through the API is not restarted by its restart policy.
         */
        post: operations["ContainerKill"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stop a container
         * @description Sends the signal (default: the container's StopSignal, else SIGTERM), then SIGKILL after t seconds (default: its StopTimeout, else 10). A container stopped or killed through the API is not restarted by its restart policy; a restarting one just stays exited.
         */
        post: operations["ContainerStop"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/restart": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Restart a container
         * @description Stops the container if it is running (as stop does), then starts it.
         */
        post: operations["ContainerRestart"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/pause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pause a container
         * @description Freezes every process of the container with the runtime's cgroup freezer.
         */
        post: operations["ContainerPause"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/unpause": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Unpause a container */
        post: operations["ContainerUnpause"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/wait": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Wait for a container
         * @description Status 200 and headers are sent at once; the body follows when the condition is met. not-running answers at once for a created or exited container (a restarting one is still running); next-exit waits for the next exit; removed waits until the container is deleted.
         */
        post: operations["ContainerWait"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a container
         * @description Removes the container, its monitor, its state and its log; with v=1 its anonymous volumes too (named ones stay). 409 if it is running or restarting, unless force=1 (SIGKILL first, or the pending restart cancelled).
         */
        delete: operations["ContainerDelete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/logs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a container's logs
         * @description With follow=1 and a running container, status 200 and headers are sent at once; lines follow as they are written, until the container stops.
         */
        get: operations["ContainerLogs"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Resource usage of a container
         * @description stream=1 (default): one JSON document per line per second until the client leaves or the container stops. stream=0: one document, from two samples a second apart so precpu_stats is filled (one-shot=1: one sample, precpu_stats zero).
         */
        get: operations["ContainerStats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/top": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the processes of a container
         * @description Runs `ps` on the host with ps_args (default `-ef`) and keeps the rows whose PID is in the container's cgroup, as Docker does. 409 unless it runs.
         */
        get: operations["ContainerTop"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/rename": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Rename a container */
        post: operations["ContainerRename"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/update": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change a container's resource limits and restart policy
         * @description A running container gets the new limits through the runtime's update; they are kept in its HostConfig and apply to its next runs. A new restart policy applies from the next exit.
         */
        post: operations["ContainerUpdate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/prune": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Remove stopped containers */
        post: operations["ContainerPrune"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/attach": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Attach to a container
         * @description Streams the container's output (and, upgraded, takes its stdin). A created container's stream starts with its run; a stopped container's with its next start (Docker's `start -a`). logs=1 replays the log first. 409 if it is paused.
         */
        post: operations["ContainerAttach"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/attach/ws": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Attach to a container via a websocket
         * @description Docker's websocket attach, with the websocket handshake (`Connection: Upgrade`, `Upgrade: websocket`): the query as ContainerAttach's (before API 1.42 stdin, stdout and stderr are all attached whatever it says, as in Docker). Errors (404, 409, 400) are plain HTTP answers before the handshake; a request without the handshake gets 400.
         */
        get: operations["ContainerAttachWebsocket"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/resize": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resize a container's terminal */
        post: operations["ContainerResize"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/exec": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create an exec instance
         * @description Records a command to run in the running container; POST /exec/{id}/start runs it. 409 unless the container is running.
         */
        post: operations["ContainerExec"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/exec/{id}/start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start an exec instance
         * @description Runs the exec under its own monitor. Detach: 200 with no body once it runs. Otherwise the connection becomes its stream (see ContainerAttach), which ends after the exit code is recorded. As in Docker, the response head is sent before the process starts, and output follows once the client has read the head. A command the runtime cannot run gives its message on the stream and exit code 126, as Docker does.
         */
        post: operations["ExecStart"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/exec/{id}/json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Inspect an exec instance */
        get: operations["ExecInspect"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/exec/{id}/resize": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Resize an exec's terminal */
        post: operations["ExecResize"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/archive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a tar of a path in a container (docker cp out)
         * @description The path is resolved inside the container's root filesystem, as if chrooted there; the copy runs in a helper process chrooted into it, so no symlink reaches the host. Works for running and stopped containers.
         */
        get: operations["ContainerArchive"];
        /**
         * Extract a tar into a dir in a container (docker cp in)
         * @description The body is a tar (plain or gzip), extracted into the dir `path`, resolved inside the container's root filesystem. Entries that would leave the dir (`..`, absolute names, a write through a symlink) fail the request with 400. 400 when `path` is not a dir, 404 when it is missing, 403 for a read-only rootfs (ReadonlyRootfs, or an OCI bundle's).
         */
        put: operations["PutContainerArchive"];
        post?: never;
        delete?: never;
        options?: never;
        /**
         * Stat a path in a container (docker cp)
         * @description The stat docker cp reads before copying, in the X-Docker-Container-Path-Stat header. Works for running and stopped containers.
         */
        head: operations["ContainerArchiveInfo-head"];
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Export a container's root filesystem (docker export)
         * @description A tar of the merged root filesystem (the image's layers and the container's changes; not its mounts).
         */
        get: operations["ContainerExport"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/containers/{id}/changes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A container's filesystem changes (docker diff)
         * @description What the container changed, read from its overlay upper dir against its image's layers as Docker's overlay2 reports it: Kind 0 modified, 1 added, 2 deleted; a changed file's parent dirs as modified, in path order. Running or stopped. Mount points the runtime made (/etc/hosts and the like) are left out, as Docker keeps them in its init layer. An empty array when nothing changed (Docker sends null). 400 for a container made from an OCI bundle: it has no image layers.
         */
        get: operations["ContainerChanges"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/commit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Make an image from a container (docker commit)
         * @description The container's changes (its overlay upper dir; deletions as OCI whiteouts) become a layer on top of its image's, with no layer when nothing changed. The config is the container's (or the body's, gaps filled from the container's) with `changes` applied; a history entry is added and `container` set. A running container is frozen while its layer is read unless pause=0. 400 for a container made from an OCI bundle.
         */
        post: operations["ImageCommit"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pull an image from a registry (docker pull) or import one (docker import)
         * @description With fromImage (and tag, a tag or digest) the image is pulled from its registry: the answer is Docker's JSON progress stream (`Pulling from`, per layer `Pulling fs layer`, `Downloading`, `Download complete`, `Extracting`, `Pull complete` or `Already exists`, then `Digest:` and `Status:`); a bad reference, an unknown image or an unreachable registry is an HTTP error, a failure after the first line an `errorDetail` line. Registries are reached as Docker reaches them: docker.io through the daemon's mirrors first, an insecure registry (127.0.0.0/8 and --insecure-registry) by HTTPS without verification then plain HTTP, the others by HTTPS verified against the system's CAs and `<root>/certs.d/HOST:PORT/*.crt`. A layer download cut off is resumed with a Range request (in the same pull, or the next one after a restart), and two pulls of one layer download it once. With fromSrc=- the body is a root filesystem tar (plain or gzip) that becomes a one-layer image; the stream's last line is {"status": "sha256:<id>"}.
         */
        post: operations["ImageCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/{name}/push": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Push an image to its registry (docker push)
         * @description Sends the image `name` (with `tag`, or every tag of the repository) to the registry its name starts with, as a Docker v2 schema 2 manifest with gzip layers, using the credentials of X-Registry-Auth. The registry is reached as a pull reaches it (insecure registries, `certs.d`), never through a mirror. The answer is Docker's JSON progress stream: `The push refers to repository [...]`, per layer `Preparing`, `Waiting`, `Pushing` with progressDetail, then `Pushed`, `Layer already exists` or `Mounted from <repo>`; then `<tag>: digest: sha256:... size: N` and an aux line {"Tag","Digest","Size"}. The manifest digest is added to the image's RepoDigests. An image not in the store is a 404; a failure after the first line is an `errorDetail` line.
         */
        post: operations["ImagePush"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/load": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Load images from a docker save archive (docker load)
         * @description The body is a docker save tar (Docker's manifest.json form or an OCI layout with index.json; plain or gzip). Every image in it is added with its tags. As in Docker, an archive that cannot be loaded is still a 200: the stream's one line is `{"errorDetail": {"message": ...}, "error": ...}`.
         */
        post: operations["ImageLoad"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/get": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Save images (docker save) */
        get: operations["ImageGetAll"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/{name}/get": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Save one image */
        get: operations["ImageGet"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List images */
        get: operations["ImageList"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/prune": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Remove unused images
         * @description Removes untagged images no container uses; with filters {"dangling":["false"]}, every image no container uses. ImagesDeleted lists, per image, each of its references untagged, then the image deleted.
         */
        post: operations["ImagePrune"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/{name}/json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Inspect an image */
        get: operations["ImageInspect"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/{name}/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** An image's history */
        get: operations["ImageHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/{name}/tag": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Tag an image */
        post: operations["ImageTag"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove an image
         * @description A name untags (and deletes the image with its last tag); an id deletes the image and its tags. 409 while a container uses the image, unless force=1 (which then only untags).
         */
        delete: operations["ImageDelete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/build": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Build an image from a Dockerfile (docker build with DOCKER_BUILDKIT=0)
         * @description The body is the build context: a tar, plain or gzip, at most --build-context-max bytes (413 beyond). The Dockerfile is built by buildah (its own storage and build cache under the daemon's root, one layer per filesystem-changing step, Docker's image format so HEALTHCHECK, ONBUILD and STOPSIGNAL are kept) and the result is added to the image store and tagged with each `t`. Base images come from berth's store; one it lacks is pulled first through berth's registry client with the X-Registry-Config credentials. A bad context or a missing Dockerfile is an HTTP error; once the build starts the answer is Docker's build stream: `{"stream": "Step 1/4 : FROM bb\n"}`, the steps' output, `{"aux": {"ID": "sha256:…"}}`, `Successfully built <id>`, `Successfully tagged <name>`, or at the end `{"errorDetail": {"message": ...}, "error": ...}` (a failed RUN: `The command '/bin/sh -c false' returned a non-zero code: 1`). A client that disconnects cancels the build. RUN steps run under chroot isolation sharing the host's network; with networkmode=none (an empty network namespace), shmsize or a resource limit (memory, memswap, cpushares, cpuperiod, cpuquota, cpusetcpus, cpusetmems, which chroot isolation would ignore) they run under runc. Nothing of a build is left behind, a failed step's container included (as with --force-rm). BuildKit (version=2, session) is refused.
         */
        post: operations["ImageBuild"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/build/prune": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Clear the build cache (docker builder prune)
         * @description Removes buildah's images (the build cache and the base images handed to it) and any working container a cancelled build left. 409 while a build runs.
         */
        post: operations["BuildPrune"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * BuildKit's session (refused)
         * @description BuildKit's gRPC session: berth has no BuildKit, so this is always a 400 telling to use DOCKER_BUILDKIT=0.
         */
        post: operations["Session"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/volumes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List volumes
         * @description Filters: name (a regular expression), label (key or key=value), dangling (true: no container uses it), driver.
         */
        get: operations["VolumeList"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/volumes/create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a volume
         * @description A volume of that name that exists already is returned as it is, as Docker does.
         */
        post: operations["VolumeCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/volumes/prune": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Remove unused volumes
         * @description Removes the anonymous volumes no container uses (API 1.42+); with filters {"all":["true"]}, or API before 1.42, every volume no container uses. Filters: label, label!, all.
         */
        post: operations["VolumePrune"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/volumes/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Inspect a volume */
        get: operations["VolumeInspect"];
        put?: never;
        post?: never;
        /**
         * Remove a volume
         * @description 409 while a container uses it (force does not change that); force=1 makes a missing volume no error.
         */
        delete: operations["VolumeDelete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/networks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List networks */
        get: operations["NetworkList"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/networks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Inspect a network */
        get: operations["NetworkInspect"];
        put?: never;
        post?: never;
        /**
         * Remove a network
         * @description 403 for the predefined bridge, host and none; 409 while a container is on it.
         */
        delete: operations["NetworkDelete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/networks/create": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a network
         * @description A bridge network through netavark; its names resolve through aardvark-dns. Without IPAM Config, a subnet from Docker's pools (172.17-31.0.0/16, then 192.168.0-240.0/20) that no network and no host route overlaps. 400 for a bad CIDR, a gateway or range outside the subnet, IPv6, another driver; 403 for an overlapping subnet or a predefined name; 409 for a name in use.
         */
        post: operations["NetworkCreate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/networks/{id}/connect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Connect a container to a network
         * @description A running (or created) container gets the network in its namespace at once (netavark setup of that network alone; its name and aliases resolve through aardvark-dns); an exited one at its next start. The container record keeps it. 400 for a host, none or container: mode container, or an address outside the subnet; 403 when it is on the network already, or the address is taken.
         */
        post: operations["NetworkConnect"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/networks/{id}/disconnect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Disconnect a container from a network
         * @description netavark teardown of that network alone for a running container; the record forgets it. 400 when the container is not on it.
         */
        post: operations["NetworkDisconnect"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/networks/reconcile": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Set up again what the host lost of the running containers' networking (berth)
         * @description Not in Docker (whose answer is a daemon restart: moby#12294). After a firewall reload or flush, or a deleted bridge, every running container whose network bridge, forward and masquerade rules or published-port DNAT are missing gets its netavark setup again, in its namespace, with the same addresses and ports; containers whose networking is whole are not touched. berthd does the same at start-up. Repaired: the ids of the containers set up again.
         */
        post: operations["NetworkReconcile"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/networks/prune": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Remove unused networks */
        post: operations["NetworkPrune"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Monitor events
         * @description Status 200 and headers are sent at once. With `since`, the kept events (the last 10,000, across restarts) stamped from `since` to `until` are sent first; then, unless `until` has passed, events as they happen, until `until` or until the client goes away. Filters (JSON, list or map form): `container` (id, id prefix or name), `image`, `event` (action), `type` (container, image), `label` (key or key=value).
         */
        get: operations["SystemEvents"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /**
         * ErrorResponse
         * @description An error
         */
        ErrorResponse: {
            message: string;
        };
        /** @description A volume */
        Volume: {
            /** @description RFC 3339, to the second */
            CreatedAt: string;
            /** @description Always `local` */
            Driver: string;
            Labels: {
                [key: string]: string;
            };
            /** @description The host dir containers bind: <root>/volumes/<name>/_data */
            Mountpoint: string;
            Name: string;
            /** @description The DriverOpts it was created with; null when none */
            Options: null | {
                [key: string]: string;
            };
            /** @description Always `local` */
            Scope: string;
            /** @description Only in /system/df */
            UsageData?: {
                Size: number;
                RefCount: number;
            };
        };
        /**
         * JsonMessage
         * @description Docker's JSON-message stream: one such object per line
         */
        JsonMessage: {
            status?: string;
            stream?: string;
            id?: string;
            progressDetail?: {
                current?: number;
                total?: number;
            };
            aux?: {
                ID: string;
            } | {
                Tag: string;
                Digest: string;
                Size: number;
            };
            error?: string;
            errorDetail?: {
                message: string;
            };
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    SystemPing: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SystemVersion: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Platform: {
                            Name: string;
                        };
                        Version: string;
                        ApiVersion: string;
                        MinAPIVersion: string;
                        GitCommit: string;
                        GoVersion: string;
                        Os: string;
                        Arch: string;
                        KernelVersion: string;
                        BuildTime: string;
                        Experimental: boolean;
                        Components: {
                            Name: string;
                            Version: string;
                            Details: {
                                [key: string]: string;
                            };
                        }[];
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SystemDataUsage: {
        parameters: {
            query?: {
                /** @description Repeatable: container, image, volume, build-cache; the parts to compute (API 1.42+); all when absent */
                type?: string[];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Disk usage */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Bytes of every stored image layer */
                        LayersSize: number;
                        /** @description With SharedSize (bytes of its layers another image uses too) and Containers (how many use it); null when `type` leaves images out */
                        Images: {
                            Id: string;
                            ParentId: string;
                            RepoTags: string[];
                            RepoDigests: string[];
                            /** @description Unix seconds */
                            Created: number;
                            Size: number;
                            SharedSize: number;
                            VirtualSize: number;
                            Labels: {
                                [key: string]: string;
                            };
                            Containers: number;
                        }[] | null;
                        /** @description With SizeRw and SizeRootFs; null when `type` leaves containers out */
                        Containers: {
                            Id: string;
                            Names: string[];
                            Image: string;
                            ImageID: string;
                            Command: string;
                            /** @description Unix seconds */
                            Created: number;
                            State: string;
                            /** @description Human status, e.g. "Up 3 seconds", "Exited (0) 5 seconds ago" */
                            Status: string;
                            Ports: unknown[];
                            Labels: {
                                [key: string]: string;
                            };
                            HostConfig: {
                                NetworkMode: string;
                            };
                            NetworkSettings: {
                                Networks: {
                                    [key: string]: unknown;
                                };
                            };
                            Mounts: unknown[];
                            /** @description With size=1: bytes the container wrote in its own layer */
                            SizeRw?: number;
                            /** @description With size=1: those bytes plus its image's */
                            SizeRootFs?: number;
                        }[] | null;
                        /** @description With UsageData (Size in bytes, -1 for a DriverOpts volume; RefCount, the containers using it); null when `type` leaves volumes out */
                        Volumes: components["schemas"]["Volume"][] | null;
                        /** @description Always empty: berth does not build */
                        BuildCache: Record<string, never>[] | null;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SystemInfo: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        ID: string;
                        Containers: number;
                        ContainersRunning: number;
                        ContainersPaused: number;
                        ContainersStopped: number;
                        Images: number;
                        Driver: string;
                        DriverStatus: string[][];
                        DockerRootDir: string;
                        /** @description What berth offers: the local volume driver, the host and null networks, the log drivers it writes */
                        Plugins: {
                            Volume: string[];
                            Network: string[];
                            Authorization: null | string[];
                            Log: string[];
                        };
                        MemoryLimit: boolean;
                        SwapLimit: boolean;
                        KernelMemory: boolean;
                        CpuCfsPeriod: boolean;
                        CpuCfsQuota: boolean;
                        CPUShares: boolean;
                        CPUSet: boolean;
                        PidsLimit: boolean;
                        OomKillDisable: boolean;
                        IPv4Forwarding: boolean;
                        BridgeNfIptables: boolean;
                        BridgeNfIp6tables: boolean;
                        /** @description Logging at debug or trace level */
                        Debug: boolean;
                        NFd: number;
                        /** @description Always 0: berthd is not written in Go */
                        NGoroutines: number;
                        SystemTime: string;
                        LoggingDriver: string;
                        CgroupDriver: string;
                        CgroupVersion: string;
                        NEventsListener: number;
                        KernelVersion: string;
                        OperatingSystem: string;
                        OSVersion: string;
                        OSType: string;
                        Architecture: string;
                        NCPU: number;
                        MemTotal: number;
                        /** @description Empty: berth uses no registry */
                        IndexServerAddress: string;
                        RegistryConfig: {
                            AllowNondistributableArtifactsCIDRs: string[];
                            AllowNondistributableArtifactsHostnames: string[];
                            InsecureRegistryCIDRs: string[];
                            IndexConfigs: {
                                [key: string]: unknown;
                            };
                            Mirrors: string[];
                        };
                        GenericResources: null | unknown[];
                        HttpProxy: string;
                        HttpsProxy: string;
                        NoProxy: string;
                        Name: string;
                        Labels: string[];
                        ExperimentalBuild: boolean;
                        ServerVersion: string;
                        ClusterStore: string;
                        ClusterAdvertise: string;
                        Runtimes: {
                            [key: string]: {
                                path: string;
                            };
                        };
                        DefaultRuntime: string;
                        Swarm: {
                            NodeID: string;
                            NodeAddr: string;
                            LocalNodeState: string;
                            ControlAvailable: boolean;
                            Error: string;
                            RemoteManagers: null;
                        };
                        /** @description Containers run on while berthd restarts: each has its own monitor */
                        LiveRestoreEnabled: boolean;
                        Isolation: string;
                        /** @description What HostConfig.Init runs, as Docker names it (tini, bind-mounted as /sbin/docker-init) */
                        InitBinary: string;
                        ContainerdCommit: {
                            ID: string;
                            Expected: string;
                        };
                        RuncCommit: {
                            ID: string;
                            Expected: string;
                        };
                        InitCommit: {
                            ID: string;
                            Expected: string;
                        };
                        SecurityOptions: string[];
                        ProductLicense: string;
                        DefaultAddressPools: {
                            Base: string;
                            Size: number;
                        }[];
                        Warnings: string[];
                        CDISpecDirs: string[];
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SystemAuth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    username?: string;
                    password?: string;
                    /** @description base64 of username:password */
                    auth?: string;
                    email?: string;
                    /** @description The registry: host[:port], or Docker Hub's https://index.docker.io/v1/ (the default) */
                    serveraddress?: string;
                    identitytoken?: string;
                    registrytoken?: string;
                } & {
                    [key: string]: unknown;
                };
            };
        };
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @example Login Succeeded */
                        Status: string;
                        /** @description A refresh token the registry's token server gave, for the client to send instead of the password; empty when none */
                        IdentityToken: string;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The registry refused the credentials */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    OpenApiDocument: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OpenAPI 3 document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerListAlias: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                all?: string;
                /** @description Only the N most recently created containers, stopped ones included; -1 or 0 for all */
                limit?: number;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                size?: string;
                /** @description JSON: {"id":["..."],"name":["..."],"label":["k","k=v"],"status":["running"],"exited":["0"],"ancestor":["image"],"before":["container"],"since":["container"],"health":["starting|healthy|unhealthy|none"]}, map form {"name":{"x":true}} too; a status, before or since filter lists stopped containers without all=1; an unknown before/since container is a 404 */
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The containers */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Id: string;
                        Names: string[];
                        Image: string;
                        ImageID: string;
                        Command: string;
                        /** @description Unix seconds */
                        Created: number;
                        State: string;
                        /** @description Human status, e.g. "Up 3 seconds", "Exited (0) 5 seconds ago" */
                        Status: string;
                        Ports: unknown[];
                        Labels: {
                            [key: string]: string;
                        };
                        HostConfig: {
                            NetworkMode: string;
                        };
                        NetworkSettings: {
                            Networks: {
                                [key: string]: unknown;
                            };
                        };
                        Mounts: unknown[];
                        /** @description With size=1: bytes the container wrote in its own layer */
                        SizeRw?: number;
                        /** @description With size=1: those bytes plus its image's */
                        SizeRootFs?: number;
                    }[];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerCreateFromBundle: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Unknown fields are ignored, as Docker ignores them */
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "Bundle": "/srv/bundles/hello",
                 *       "Name": "hello"
                 *     }
                 */
                "application/json": {
                    /** @description Absolute path of an OCI bundle (a dir holding config.json); berth never writes to it */
                    Bundle: string;
                    /** @description Container name, Docker's pattern; generated when absent */
                    Name?: string;
                    /** @description Name of a configured OCI runtime; the daemon's default when absent */
                    Runtime?: string;
                    Labels?: {
                        [key: string]: string;
                    };
                    /** @description Allocate a pseudo-TTY (overrides process.terminal) */
                    Tty?: boolean;
                    /** @description Keep a stdin pipe open for the container */
                    OpenStdin?: boolean;
                    /** @description Close the container's stdin when the first attached client's stdin ends (Docker's `run -i`); otherwise it stays open across attaches */
                    StdinOnce?: boolean;
                    /** @description Initial terminal size [height, width], with Tty */
                    ConsoleSize?: number[];
                    /** @description Docker's restart policy: Name `no` (or empty), `always`, `unless-stopped` or `on-failure`; MaximumRetryCount only with on-failure (0: no limit) */
                    RestartPolicy?: {
                        Name?: string | null;
                        MaximumRetryCount?: number | null;
                    } | null;
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "Id": "4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2",
                     *       "Warnings": []
                     *     }
                     */
                    "application/json": {
                        Id: string;
                        Warnings: string[];
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Request body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerCreate: {
        parameters: {
            query?: {
                /** @description Container name, Docker's pattern; generated when absent */
                name?: string;
                /** @description Accepted and ignored: images here are for this machine */
                platform?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Docker's container create body. Unknown fields are ignored, as Docker ignores them; fields berth cannot honour are refused with 400 naming the field, unless zero-valued. */
        requestBody: {
            content: {
                "application/json": {
                    Hostname?: string | null;
                    Domainname?: string | null;
                    /** @description uid, uid:gid, name or name:group, resolved in the image */
                    User?: string | null;
                    AttachStdin?: boolean | null;
                    AttachStdout?: boolean | null;
                    AttachStderr?: boolean | null;
                    ExposedPorts?: {
                        [key: string]: unknown;
                    } | null;
                    Tty?: boolean | null;
                    OpenStdin?: boolean | null;
                    StdinOnce?: boolean | null;
                    /** @description `KEY=value`; a bare `KEY` removes it */
                    Env?: string[] | null;
                    /** @description Replaces the image's Cmd */
                    Cmd?: string[] | string | null;
                    /** @description Test `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`; durations in ns (0: Docker's default); merged over the image's */
                    Healthcheck?: {
                        Test?: string[] | null;
                        Interval?: number | null;
                        Timeout?: number | null;
                        StartPeriod?: number | null;
                        StartInterval?: number | null;
                        Retries?: number | null;
                    } | null;
                    /** @description Windows only; ignored */
                    ArgsEscaped?: boolean | null;
                    Image?: string;
                    Volumes?: {
                        [key: string]: unknown;
                    } | null;
                    WorkingDir?: string | null;
                    /** @description Replaces the image's Entrypoint (and drops its Cmd); `[""]` clears it */
                    Entrypoint?: string[] | string | null;
                    NetworkDisabled?: boolean | null;
                    MacAddress?: string | null;
                    /** @description Image build metadata; ignored */
                    OnBuild?: string[] | null;
                    Labels?: {
                        [key: string]: string;
                    } | null;
                    StopSignal?: string | null;
                    StopTimeout?: number | null;
                    /** @description Image build metadata; ignored */
                    Shell?: string[] | null;
                    /** @description Docker's HostConfig; unknown fields are ignored */
                    HostConfig?: {
                        /** @description `/host/path:/container/path[:ro|rw|z|Z|propagation,...]`; named volumes are refused */
                        Binds?: string[] | null;
                        /** @description Client-side only */
                        ContainerIDFile?: string | null;
                        LogConfig?: {
                            Type?: string | null;
                            Config?: {
                                [key: string]: string;
                            } | null;
                        } | null;
                        /** @description `default` or `bridge` (the default bridge), `none`, `host`, `container:<name|id>`, or a network's name or id */
                        NetworkMode?: string | null;
                        PortBindings?: {
                            [key: string]: {
                                HostIp?: string | null;
                                HostPort?: string | null;
                            }[] | null;
                        } | null;
                        /** @description `no`, `always`, `unless-stopped` or `on-failure` (with MaximumRetryCount, 0: no limit); not with AutoRemove */
                        RestartPolicy?: {
                            Name?: string | null;
                            MaximumRetryCount?: number | null;
                        } | null;
                        AutoRemove?: boolean | null;
                        VolumeDriver?: string | null;
                        VolumesFrom?: string[] | null;
                        /** @description [height, width] */
                        ConsoleSize?: number[] | null;
                        /** @description Passed to the runtime as OCI annotations */
                        Annotations?: {
                            [key: string]: string;
                        } | null;
                        /** @description Capabilities to add: `NET_ADMIN`, `CAP_NET_ADMIN` or `ALL` */
                        CapAdd?: string[] | string | null;
                        /** @description Capabilities to drop */
                        CapDrop?: string[] | string | null;
                        /** @description `private` or `host` */
                        CgroupnsMode?: string | null;
                        Dns?: string[] | null;
                        DnsOptions?: string[] | null;
                        DnsSearch?: string[] | null;
                        /** @description `name:ip` lines added to /etc/hosts */
                        ExtraHosts?: string[] | null;
                        /** @description Supplementary groups: gids, or names from the image's /etc/group */
                        GroupAdd?: string[] | null;
                        /** @description `private`, `shareable`, `none` or `host` */
                        IpcMode?: string | null;
                        Cgroup?: string | null;
                        Links?: string[] | null;
                        OomScoreAdj?: number | null;
                        /** @description empty, `host` or `container:<name or id>` (a running container) */
                        PidMode?: string | null;
                        Privileged?: boolean | null;
                        PublishAllPorts?: boolean | null;
                        ReadonlyRootfs?: boolean | null;
                        /** @description `no-new-privileges[=true|false]`; `seccomp=unconfined|builtin|<profile JSON>` (the docker CLI sends a file's JSON); `apparmor=unconfined` and `label=disable` (berth applies neither AppArmor nor SELinux) */
                        SecurityOpt?: string[] | null;
                        StorageOpt?: {
                            [key: string]: string;
                        } | null;
                        /** @description Mount point → tmpfs options, e.g. `{"/run": "size=64m,mode=1777"}` */
                        Tmpfs?: {
                            [key: string]: string;
                        } | null;
                        /** @description empty or `host` */
                        UTSMode?: string | null;
                        UsernsMode?: string | null;
                        /** @description Bytes; 0 is 64 MiB */
                        ShmSize?: number | null;
                        /** @description Namespaced sysctls only */
                        Sysctls?: {
                            [key: string]: string;
                        } | null;
                        Runtime?: string | null;
                        Isolation?: string | null;
                        CpuShares?: number | null;
                        /** @description Bytes */
                        Memory?: number | null;
                        /** @description CPU quota in billionths of a CPU */
                        NanoCpus?: number | null;
                        /** @description The cgroup the container is made under (`<CgroupParent>/<id>`); default `/berth` */
                        CgroupParent?: string | null;
                        BlkioWeight?: number | null;
                        BlkioWeightDevice?: {
                            Path?: string;
                            Weight?: number;
                        }[] | null;
                        BlkioDeviceReadBps?: {
                            Path?: string;
                            Rate?: number;
                        }[] | null;
                        BlkioDeviceWriteBps?: {
                            Path?: string;
                            Rate?: number;
                        }[] | null;
                        BlkioDeviceReadIOps?: {
                            Path?: string;
                            Rate?: number;
                        }[] | null;
                        BlkioDeviceWriteIOps?: {
                            Path?: string;
                            Rate?: number;
                        }[] | null;
                        CpuPeriod?: number | null;
                        CpuQuota?: number | null;
                        CpuRealtimePeriod?: number | null;
                        CpuRealtimeRuntime?: number | null;
                        CpusetCpus?: string | null;
                        CpusetMems?: string | null;
                        Devices?: {
                            PathOnHost?: string | null;
                            PathInContainer?: string | null;
                            CgroupPermissions?: string | null;
                        }[] | null;
                        /** @description e.g. `c 1:3 mr` */
                        DeviceCgroupRules?: string[] | null;
                        DeviceRequests?: {
                            [key: string]: unknown;
                        }[] | null;
                        KernelMemory?: number | null;
                        KernelMemoryTCP?: number | null;
                        MemoryReservation?: number | null;
                        /** @description Memory plus swap, bytes; 0 is twice Memory, -1 unlimited */
                        MemorySwap?: number | null;
                        MemorySwappiness?: number | null;
                        OomKillDisable?: boolean | null;
                        /** @description 0 or -1: unlimited */
                        PidsLimit?: number | null;
                        /** @description A negative Soft or Hard is unlimited */
                        Ulimits?: {
                            Name: string;
                            Soft: number;
                            Hard: number;
                        }[] | null;
                        CpuCount?: number | null;
                        CpuPercent?: number | null;
                        IOMaximumIOps?: number | null;
                        IOMaximumBandwidth?: number | null;
                        Mounts?: {
                            /** @description `bind`, `volume` or `tmpfs` (`image`, `npipe`, `cluster` are refused) */
                            Type?: string;
                            Source?: string | null;
                            Target?: string | null;
                            ReadOnly?: boolean | null;
                            /** @description Ignored on Linux */
                            Consistency?: string | null;
                            BindOptions?: {
                                Propagation?: string | null;
                                NonRecursive?: boolean | null;
                                CreateMountpoint?: boolean | null;
                                ReadOnlyNonRecursive?: boolean | null;
                                ReadOnlyForceRecursive?: boolean | null;
                            } | null;
                            VolumeOptions?: {
                                /** @description Leave the image's content at Target out of a new, empty volume */
                                NoCopy?: boolean | null;
                                /** @description Labels of the volume, when this mount creates it */
                                Labels?: {
                                    [key: string]: string;
                                } | null;
                                DriverConfig?: {
                                    /** @description `local` or empty */
                                    Name?: string | null;
                                    /** @description The local driver's options (type, device, o), when this mount creates the volume */
                                    Options?: {
                                        [key: string]: string;
                                    } | null;
                                } | null;
                                /** @description Refused: berth mounts whole volumes */
                                Subpath?: string | null;
                            } | null;
                            ImageOptions?: {
                                [key: string]: unknown;
                            } | null;
                            TmpfsOptions?: {
                                SizeBytes?: number | null;
                                /** @description File mode as a number, e.g. 1023 for 01777 */
                                Mode?: number | null;
                                Options?: string[][] | null;
                            } | null;
                        }[] | null;
                        /** @description Replaces the default list; null keeps it */
                        MaskedPaths?: string[] | null;
                        /** @description Replaces the default list; null keeps it */
                        ReadonlyPaths?: string[] | null;
                        /** @description Run an init (tini or catatonit) as PID 1 */
                        Init?: boolean | null;
                    } | null;
                    NetworkingConfig?: {
                        EndpointsConfig?: {
                            [key: string]: {
                                IPAMConfig?: {
                                    [key: string]: unknown;
                                } | null;
                                Links?: string[] | null;
                                Aliases?: string[] | null;
                                MacAddress?: string | null;
                                DriverOpts?: {
                                    [key: string]: string;
                                } | null;
                                GwPriority?: number | null;
                                NetworkID?: string | null;
                                EndpointID?: string | null;
                                Gateway?: string | null;
                                IPAddress?: string | null;
                                IPPrefixLen?: number | null;
                                IPv6Gateway?: string | null;
                                GlobalIPv6Address?: string | null;
                                GlobalIPv6PrefixLen?: number | null;
                                DNSNames?: string[] | null;
                            } | null;
                        } | null;
                    } | null;
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "Id": "4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2",
                     *       "Warnings": []
                     *     }
                     */
                    "application/json": {
                        Id: string;
                        Warnings: string[];
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Request body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerList: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                all?: string;
                /** @description Only the N most recently created containers, stopped ones included; -1 or 0 for all */
                limit?: number;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                size?: string;
                /** @description JSON: {"id":["..."],"name":["..."],"label":["k","k=v"],"status":["running"],"exited":["0"],"ancestor":["image"],"before":["container"],"since":["container"],"health":["starting|healthy|unhealthy|none"]}, map form {"name":{"x":true}} too; a status, before or since filter lists stopped containers without all=1; an unknown before/since container is a 404 */
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The containers */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Id: string;
                        Names: string[];
                        Image: string;
                        ImageID: string;
                        Command: string;
                        /** @description Unix seconds */
                        Created: number;
                        State: string;
                        /** @description Human status, e.g. "Up 3 seconds", "Exited (0) 5 seconds ago" */
                        Status: string;
                        Ports: unknown[];
                        Labels: {
                            [key: string]: string;
                        };
                        HostConfig: {
                            NetworkMode: string;
                        };
                        NetworkSettings: {
                            Networks: {
                                [key: string]: unknown;
                            };
                        };
                        Mounts: unknown[];
                        /** @description With size=1: bytes the container wrote in its own layer */
                        SizeRw?: number;
                        /** @description With size=1: those bytes plus its image's */
                        SizeRootFs?: number;
                    }[];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerInspect: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                size?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Docker's inspect document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Id: string;
                        Created: string;
                        Path: string;
                        Args: string[];
                        State: {
                            /** @enum {string} */
                            Status: "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";
                            Running: boolean;
                            Paused: boolean;
                            Restarting: boolean;
                            OOMKilled: boolean;
                            Dead: boolean;
                            Pid: number;
                            ExitCode: number;
                            Error: string;
                            StartedAt: string;
                            FinishedAt: string;
                            /** @description Present when the container has a healthcheck */
                            Health?: {
                                /** @enum {string} */
                                Status: "starting" | "healthy" | "unhealthy";
                                FailingStreak: number;
                                /** @description The last 5 probes, oldest first; output capped at 4096 bytes */
                                Log: {
                                    Start: string;
                                    End: string;
                                    ExitCode: number;
                                    Output: string;
                                }[];
                            };
                        };
                        Image: string;
                        Name: string;
                        RestartCount: number;
                        Driver: string;
                        Platform: string;
                        /** @description Always empty: berth applies no SELinux label */
                        MountLabel: string;
                        /** @description Always empty: berth applies no SELinux label */
                        ProcessLabel: string;
                        /** @description Always empty: berth applies no AppArmor profile (Docker shows empty on a host without AppArmor) */
                        AppArmorProfile: string;
                        LogPath: string;
                        ExecIDs: null | string[];
                        /** @description berth: the OCI bundle the container was created from */
                        Bundle: string;
                        /** @description With size=1: bytes the container wrote in its own layer */
                        SizeRw?: number;
                        /** @description With size=1: those bytes plus its image's */
                        SizeRootFs?: number;
                        Config: {
                            Hostname: string;
                            Domainname: string;
                            User: string;
                            AttachStdin: boolean;
                            AttachStdout: boolean;
                            AttachStderr: boolean;
                            Tty: boolean;
                            OpenStdin: boolean;
                            StdinOnce: boolean;
                            Env: string[];
                            Cmd: null | string[];
                            Image: string;
                            WorkingDir: string;
                            Entrypoint: null | string[];
                            Labels: {
                                [key: string]: string;
                            };
                            /** @description The HEALTHCHECK: the create body's merged over the image's */
                            Healthcheck?: {
                                /** @description ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"] */
                                Test?: string[];
                                Interval?: number;
                                Timeout?: number;
                                StartPeriod?: number;
                                StartInterval?: number;
                                Retries?: number;
                            };
                        };
                        HostConfig: {
                            LogConfig: {
                                Type: string;
                                Config: {
                                    [key: string]: string;
                                };
                            };
                            NetworkMode: string;
                            RestartPolicy: {
                                Name: string;
                                MaximumRetryCount: number;
                            };
                            AutoRemove: boolean;
                            Runtime: string;
                        };
                        GraphDriver: {
                            Name: string;
                            Data: {
                                [key: string]: string;
                            };
                        };
                        Mounts: unknown[];
                        NetworkSettings: {
                            /** @description Per network: NetworkID, IPAddress, IPPrefixLen, Gateway, MacAddress, Aliases (while the container has a run) */
                            Networks: {
                                [key: string]: unknown;
                            };
                            /** @description `<port>/<proto>` → its host bindings [{HostIp, HostPort}] while running, else null */
                            Ports: {
                                [key: string]: unknown;
                            };
                            /** @description On the default bridge; empty elsewhere, as in Docker */
                            IPAddress: string;
                            Gateway: string;
                            MacAddress: string;
                            /** @description The network namespace file */
                            SandboxKey: string;
                        };
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerStart: {
        parameters: {
            query?: {
                detachKeys?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Nothing to do (Docker answers 304 with no body) */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerKill: {
        parameters: {
            query?: {
                /** @description Signal name (HUP, SIGHUP) or number; default SIGKILL */
                signal?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerStop: {
        parameters: {
            query?: {
                /** @description Seconds to wait before SIGKILL; -1 waits for ever; default 10 */
                t?: number;
                /** @description Signal to stop with; default SIGTERM */
                signal?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Nothing to do (Docker answers 304 with no body) */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerRestart: {
        parameters: {
            query?: {
                /** @description Seconds to wait before SIGKILL; -1 waits for ever; default 10 */
                t?: number;
                /** @description Signal to stop with; default SIGTERM */
                signal?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerPause: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerUnpause: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerWait: {
        parameters: {
            query?: {
                /** @description Default (and empty) not-running */
                condition?: "not-running" | "next-exit" | "removed" | "";
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The container stopped (or was removed). Status and headers are sent at once; this body follows when the condition is met. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "StatusCode": 0,
                     *       "Error": null
                     *     }
                     */
                    "application/json": {
                        StatusCode: number;
                        Error: null | {
                            Message: string;
                        };
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerDelete: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                force?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                v?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                link?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerLogs: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stdout?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stderr?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                timestamps?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                follow?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                details?: string;
                /** @description `all` or a number of lines */
                tail?: string;
                /** @description Unix seconds (fraction allowed) or RFC 3339 */
                since?: string;
                /** @description Unix seconds (fraction allowed) or RFC 3339 */
                until?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The log. Non-TTY containers: `application/vnd.docker.multiplexed-stream`, frames of an 8-byte header [stream (1 stdout, 2 stderr), 0, 0, 0, payload length as uint32 big-endian] followed by the payload. TTY containers: `application/vnd.docker.raw-stream`, the bytes as written. With follow=1 the stream ends when the container stops. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/vnd.docker.multiplexed-stream": string;
                    "application/vnd.docker.raw-stream": string;
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Not implemented for this container (logs of a container whose log driver is `none`) */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerStats: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stream?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                "one-shot"?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Docker's stats document (one per line when streaming). Counters are read from the cgroup of the container's init process (v1 or v2); all zero for a stopped container. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        name: string;
                        id: string;
                        read: string;
                        preread: string;
                        pids_stats: {
                            current?: number;
                            limit?: number;
                        };
                        blkio_stats: {
                            io_service_bytes_recursive: null | {
                                major: number;
                                minor: number;
                                op: string;
                                value: number;
                            }[];
                        };
                        num_procs: number;
                        storage_stats: Record<string, never>;
                        cpu_stats: {
                            cpu_usage: {
                                total_usage: number;
                                percpu_usage?: number[];
                                usage_in_kernelmode: number;
                                usage_in_usermode: number;
                            };
                            system_cpu_usage?: number;
                            online_cpus?: number;
                            throttling_data: {
                                periods: number;
                                throttled_periods: number;
                                throttled_time: number;
                            };
                        };
                        precpu_stats: {
                            cpu_usage: {
                                total_usage: number;
                                percpu_usage?: number[];
                                usage_in_kernelmode: number;
                                usage_in_usermode: number;
                            };
                            system_cpu_usage?: number;
                            online_cpus?: number;
                            throttling_data: {
                                periods: number;
                                throttled_periods: number;
                                throttled_time: number;
                            };
                        };
                        memory_stats: {
                            usage?: number;
                            limit?: number;
                            stats?: {
                                [key: string]: number;
                            };
                        };
                        networks: {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerTop: {
        parameters: {
            query?: {
                /** @description Arguments for ps; the output needs a PID column */
                ps_args?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description ps columns and rows */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Titles: string[];
                        Processes: string[][];
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerRename: {
        parameters: {
            query?: {
                /** @description The new name, Docker's pattern */
                name?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerUpdate: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        /** @description Docker's UpdateConfig. Zero values mean unchanged (a RestartPolicy with an empty Name too); any field but Memory, MemorySwap, NanoCpus, CpuShares, CpuQuota, CpuPeriod, CpusetCpus, PidsLimit and RestartPolicy must be zero-valued. */
        requestBody: {
            content: {
                "application/json": {
                    Memory?: number | null;
                    MemorySwap?: number | null;
                    NanoCpus?: number | null;
                    CpuShares?: number | null;
                    CpuQuota?: number | null;
                    CpuPeriod?: number | null;
                    CpusetCpus?: string | null;
                    PidsLimit?: number | null;
                    /** @description Docker's restart policy: Name `no` (or empty), `always`, `unless-stopped` or `on-failure`; MaximumRetryCount only with on-failure (0: no limit) */
                    RestartPolicy?: {
                        Name?: string | null;
                        MaximumRetryCount?: number | null;
                    } | null;
                };
            };
        };
        responses: {
            /** @description Updated */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Warnings: string[];
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerPrune: {
        parameters: {
            query?: {
                /** @description JSON: `label`, `label!`, `until` */
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed container ids and the bytes their layers held */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        ContainersDeleted: string[];
                        SpaceReclaimed: number;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerAttach: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stream?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stdin?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stdout?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stderr?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                logs?: string;
                /** @description Keys that detach a TTY client, e.g. `ctrl-p,ctrl-q` (the default) */
                detachKeys?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Upgraded: a raw stream both ways */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": string;
                };
            };
            /** @description The connection becomes a raw stream. With `Connection: Upgrade` and `Upgrade: tcp` the answer is `101 UPGRADED`, and the client's bytes after the request are stdin (its half-close ends stdin); without, `200 OK` is read until the server closes. Output is framed as the logs are (8-byte header: stream 1 stdout, 2 stderr, then uint32 big-endian length) unless the process has a TTY, then raw. The server closes the stream when the process ends. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/vnd.docker.multiplexed-stream": string;
                    "application/vnd.docker.raw-stream": string;
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerAttachWebsocket: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stream?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stdin?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stdout?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                stderr?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                logs?: string;
                /** @description Keys that detach a TTY client, e.g. `ctrl-p,ctrl-q` (the default) */
                detachKeys?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switching Protocols: the connection is a websocket (RFC 6455). Output comes as binary messages (text before API 1.28) of raw bytes, stdout and stderr not multiplexed; the client's messages are stdin. The server closes with 1000 when the output ends; the client's close ends stdin. */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": string;
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerResize: {
        parameters: {
            query: {
                /** @description Rows, 1 to 65535 */
                h: number;
                /** @description Columns, 1 to 65535 */
                w: number;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Resized */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerExec: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        /** @description Docker's exec create body; other fields (Detach, Container) are ignored */
        requestBody: {
            content: {
                /**
                 * @example {
                 *       "Cmd": [
                 *         "ls",
                 *         "/"
                 *       ],
                 *       "AttachStdout": true,
                 *       "AttachStderr": true
                 *     }
                 */
                "application/json": {
                    /** @description The command; a string is one argument, as Docker's StrSlice reads it */
                    Cmd?: string[] | string | null;
                    Env?: string[] | null;
                    WorkingDir?: null | string;
                    /** @description uid, uid:gid, name or name:group, resolved in the container */
                    User?: null | string;
                    Tty?: null | boolean;
                    AttachStdin?: null | boolean;
                    AttachStdout?: null | boolean;
                    AttachStderr?: null | boolean;
                    Privileged?: null | boolean;
                    DetachKeys?: null | string;
                    /** @description [height, width] of the terminal */
                    ConsoleSize?: null | number[];
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Id: string;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ExecStart: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": null | {
                    Detach?: null | boolean;
                    /** @description A raw stream; without it the stream is framed, as Docker decides it from this field, not from the exec's own Tty */
                    Tty?: null | boolean;
                    /** @description [height, width] of the terminal */
                    ConsoleSize?: null | number[];
                };
            };
        };
        responses: {
            /** @description Upgraded: a raw stream both ways */
            101: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": string;
                };
            };
            /** @description The connection becomes a raw stream. With `Connection: Upgrade` and `Upgrade: tcp` the answer is `101 UPGRADED`, and the client's bytes after the request are stdin (its half-close ends stdin); without, `200 OK` is read until the server closes. Output is framed as the logs are (8-byte header: stream 1 stdout, 2 stderr, then uint32 big-endian length) unless the process has a TTY, then raw. The server closes the stream when the process ends. */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/vnd.docker.multiplexed-stream": string;
                    "application/vnd.docker.raw-stream": string;
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ExecInspect: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        ID: string;
                        Running: boolean;
                        /** @description null until the process has ended; set before an attached stream closes */
                        ExitCode: null | number;
                        ProcessConfig: {
                            entrypoint: string;
                            arguments: string[];
                            tty: boolean;
                            privileged: boolean;
                            user: string;
                        };
                        OpenStdin: boolean;
                        OpenStdout: boolean;
                        OpenStderr: boolean;
                        CanRemove: boolean;
                        ContainerID: string;
                        DetachKeys: string;
                        Pid: number;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ExecResize: {
        parameters: {
            query: {
                /** @description Rows, 1 to 65535 */
                h: number;
                /** @description Columns, 1 to 65535 */
                w: number;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Resized */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerArchive: {
        parameters: {
            query: {
                /** @description A path in the container, resolved inside its root filesystem: symlinks are followed as if chrooted there (the last one is not), `..` stops at the root. A trailing `/.` means the dir's contents. */
                path: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A tar of the path: a dir as `<name>/` and what is under it, anything else as the one entry `<name>`, where name is the last element of the path asked for; symlinks stay symlinks */
            200: {
                headers: {
                    /** @description Base64 of the JSON {"name", "size", "mode", "mtime", "linkTarget"}: `mode` is a Go os.FileMode (type in the top bits: dir 1<<31, symlink 1<<27, device 1<<26, named pipe 1<<25, socket 1<<24, setuid 1<<23, setgid 1<<22, char device 1<<21, sticky 1<<20; permissions in the low nine), `mtime` RFC 3339 with nanoseconds, `linkTarget` a symlink's target resolved in the container */
                    "X-Docker-Container-Path-Stat"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/x-tar": string;
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    PutContainerArchive: {
        parameters: {
            query: {
                /** @description A dir in the container to extract into; every symlink on the way, the last one too, is followed inside the container's root filesystem */
                path: string;
                /** @description Docker boolean: refuse an entry that would replace a dir with a non-dir or the reverse */
                noOverwriteDirNonDir?: string;
                /** @description Docker boolean: own every extracted entry by the container's User (resolved in its /etc/passwd) instead of the archive's uid and gid */
                copyUIDGID?: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        /** @description A tar archive, plain or gzip, sent with any content type (the CLI sends text/plain or application/x-tar); no size limit */
        requestBody: {
            content: {
                "application/x-tar": unknown;
                "application/tar": unknown;
                "text/plain": unknown;
            };
        };
        responses: {
            /** @description Done */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The container's root filesystem is read-only to berth (ReadonlyRootfs, or an OCI bundle's, which berth never writes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    "ContainerArchiveInfo-head": {
        parameters: {
            query: {
                /** @description A path in the container, resolved inside its root filesystem: symlinks are followed as if chrooted there (the last one is not), `..` stops at the root. A trailing `/.` means the dir's contents. */
                path: string;
            };
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The path exists; its stat is in the header */
            200: {
                headers: {
                    /** @description Base64 of the JSON {"name", "size", "mode", "mtime", "linkTarget"}: `mode` is a Go os.FileMode (type in the top bits: dir 1<<31, symlink 1<<27, device 1<<26, named pipe 1<<25, socket 1<<24, setuid 1<<23, setgid 1<<22, char device 1<<21, sticky 1<<20; permissions in the low nine), `mtime` RFC 3339 with nanoseconds, `linkTarget` a symlink's target resolved in the container */
                    "X-Docker-Container-Path-Stat"?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerExport: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A tar of the container's whole root filesystem, names relative to its root */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-tar": string;
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ContainerChanges: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The changes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Path: string;
                        Kind: 0 | 1 | 2;
                    }[];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageCommit: {
        parameters: {
            query: {
                /** @description The container: full id, name, or unique id prefix */
                container: string;
                /** @description Repository to tag the new image as; may carry a tag */
                repo?: string;
                tag?: string;
                /** @description The image's comment, and its history entry's */
                comment?: string;
                author?: string;
                /** @description Docker boolean, default true: freeze a running container while its layer is read */
                pause?: string;
                /** @description Dockerfile instructions applied to the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable, or one per line) */
                changes?: string | string[];
                platform?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Optional: Docker's container Config for the image. When given it replaces the container's, and its empty fields are filled from the container's; other Config fields are accepted and ignored. */
        requestBody: {
            content: {
                "application/json": null | {
                    Cmd?: null | string[];
                    Entrypoint?: null | string[];
                    Env?: null | string[];
                    WorkingDir?: null | string;
                    User?: null | string;
                    Labels?: null | {
                        [key: string]: string;
                    };
                    ExposedPorts?: null | {
                        [key: string]: Record<string, never>;
                    };
                    Volumes?: null | {
                        [key: string]: Record<string, never>;
                    };
                    StopSignal?: null | string;
                    Healthcheck?: null | {
                        /** @description ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"] */
                        Test?: string[];
                        Interval?: number;
                        Timeout?: number;
                        StartPeriod?: number;
                        StartInterval?: number;
                        Retries?: number;
                    };
                };
            };
        };
        responses: {
            /** @description The new image */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "Id": "sha256:4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2"
                     *     }
                     */
                    "application/json": {
                        Id: string;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageCreate: {
        parameters: {
            query?: {
                /** @description `-`: the request body is a rootfs tar (plain or gzip) to import. URLs are not fetched. */
                fromSrc?: string;
                /** @description The image to pull: `name`, `name:tag` or `name@sha256:…` */
                fromImage?: string;
                /** @description Repository to tag the import as; may carry a tag */
                repo?: string;
                tag?: string;
                /** @description Comment for the image and its history entry */
                message?: string;
                /** @description Dockerfile instructions applied to the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable) */
                changes?: string | string[];
                /** @description os[/architecture[/variant]] to pick from a manifest list or index; the host's by default */
                platform?: string;
            };
            header?: {
                /** @description Registry credentials: base64url of a JSON AuthConfig ({"username","password"}, or {"identitytoken"} a login returned, or {"registrytoken"}). Never logged nor stored. */
                "x-registry-auth"?: string;
            };
            path?: never;
            cookie?: never;
        };
        /** @description A tar archive, plain or gzip, sent with any content type (the CLI sends text/plain or application/x-tar); no size limit */
        requestBody: {
            content: {
                "application/x-tar": unknown;
                "application/tar": unknown;
                "text/plain": unknown;
            };
        };
        responses: {
            /** @description JSON-message stream, one object per line */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JsonMessage"];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImagePush: {
        parameters: {
            query?: {
                /** @description The tag to push; without one, every tag of the repository */
                tag?: string;
            };
            header?: {
                /** @description Registry credentials: base64url of a JSON AuthConfig ({"username","password"}, or {"identitytoken"} a login returned, or {"registrytoken"}). Never logged nor stored. */
                "x-registry-auth"?: string;
            };
            path: {
                /** @description Image name[:tag], full id, or unique id prefix */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description JSON-message stream, one object per line */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JsonMessage"];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageLoad: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                quiet?: string;
                platform?: string | string[];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description A tar archive, plain or gzip, sent with any content type (the CLI sends text/plain or application/x-tar); no size limit */
        requestBody: {
            content: {
                "application/x-tar": unknown;
                "application/tar": unknown;
                "text/plain": unknown;
            };
        };
        responses: {
            /** @description JSON-message stream: `Loaded image: name:tag` or `Loaded image ID: sha256:...` per image */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JsonMessage"];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageGetAll: {
        parameters: {
            query?: {
                /** @description Images to save (repeatable) */
                names?: string | string[];
                platform?: string | string[];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A docker-save tar: an OCI image layout (oci-layout, index.json, blobs/sha256/...) with manifest.json and repositories; layers uncompressed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-tar": string;
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageGet: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Image name[:tag], full id, or unique id prefix */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A docker-save tar: an OCI image layout (oci-layout, index.json, blobs/sha256/...) with manifest.json and repositories; layers uncompressed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-tar": string;
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageList: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                all?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                digests?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                "shared-size"?: string;
                /** @description JSON: {"reference":["bb","bb:*"],"dangling":["true"],"label":["k","k=v"]}, map form too */
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The images, newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Id: string;
                        ParentId: string;
                        RepoTags: string[];
                        RepoDigests: string[];
                        /** @description Unix seconds */
                        Created: number;
                        Size: number;
                        SharedSize: number;
                        VirtualSize: number;
                        Labels: {
                            [key: string]: string;
                        };
                        Containers: number;
                    }[];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImagePrune: {
        parameters: {
            query?: {
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        ImagesDeleted: null | ({
                            Untagged: string;
                        } | {
                            Deleted: string;
                        })[];
                        SpaceReclaimed: number;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageInspect: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Image name[:tag], full id, or unique id prefix */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Docker's image inspect document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Id: string;
                        RepoTags: string[];
                        RepoDigests: string[];
                        Parent: string;
                        Comment: string;
                        Created: string;
                        /** @description The container docker commit made the image from; empty otherwise */
                        Container: string;
                        DockerVersion: string;
                        Author: string;
                        Config: {
                            Env: null | string[];
                            Cmd: null | string[];
                            Entrypoint: null | string[];
                            WorkingDir: string;
                            User: string;
                            Labels: null | {
                                [key: string]: string;
                            };
                            ExposedPorts: null | {
                                [key: string]: Record<string, never>;
                            };
                            Volumes: null | {
                                [key: string]: Record<string, never>;
                            };
                            StopSignal?: string;
                            /** @description The HEALTHCHECK: the create body's merged over the image's */
                            Healthcheck?: {
                                /** @description ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"] */
                                Test?: string[];
                                Interval?: number;
                                Timeout?: number;
                                StartPeriod?: number;
                                StartInterval?: number;
                                Retries?: number;
                            };
                        };
                        ContainerConfig?: {
                            Env: null | string[];
                            Cmd: null | string[];
                            Entrypoint: null | string[];
                            WorkingDir: string;
                            User: string;
                            Labels: null | {
                                [key: string]: string;
                            };
                            ExposedPorts: null | {
                                [key: string]: Record<string, never>;
                            };
                            Volumes: null | {
                                [key: string]: Record<string, never>;
                            };
                            StopSignal?: string;
                            /** @description The HEALTHCHECK: the create body's merged over the image's */
                            Healthcheck?: {
                                /** @description ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"] */
                                Test?: string[];
                                Interval?: number;
                                Timeout?: number;
                                StartPeriod?: number;
                                StartInterval?: number;
                                Retries?: number;
                            };
                        };
                        Architecture: string;
                        Os: string;
                        Size: number;
                        VirtualSize: number;
                        GraphDriver: {
                            Name: string;
                            Data: {
                                [key: string]: string;
                            };
                        };
                        RootFS: {
                            Type: string;
                            Layers: string[];
                        };
                        Metadata: {
                            LastTagTime: string;
                        };
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageHistory: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Image name[:tag], full id, or unique id prefix */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Newest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description The image id on the newest entry, `<missing>` on the others */
                        Id: string;
                        /** @description Unix seconds */
                        Created: number;
                        CreatedBy: string;
                        Tags: null | string[];
                        Size: number;
                        Comment: string;
                    }[];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageTag: {
        parameters: {
            query: {
                /** @description Repository, e.g. `bb` or `localhost:5000/me/bb`; may carry `:tag` */
                repo: string;
                /** @description Default latest */
                tag?: string;
            };
            header?: never;
            path: {
                /** @description Image name[:tag], full id, or unique id prefix */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Tagged */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageDelete: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                force?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                noprune?: string;
            };
            header?: never;
            path: {
                /** @description Image name[:tag], full id, or unique id prefix */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description What was untagged and deleted */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": ({
                        Untagged: string;
                    } | {
                        Deleted: string;
                    })[];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    ImageBuild: {
        parameters: {
            query?: {
                /** @description Path of the Dockerfile inside the context (default `Dockerfile`, then `dockerfile`) */
                dockerfile?: string;
                /** @description A `name:tag` for the result (repeatable) */
                t?: string | string[];
                /** @description JSON object of build-time variables (ARG) */
                buildargs?: string;
                /** @description JSON object of labels added to the image */
                labels?: string;
                /** @description The stage of a multi-stage Dockerfile to build */
                target?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                nocache?: string;
                /** @description Pull every base image again (through berth's registry client) even when the store has it */
                pull?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                q?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                rm?: string;
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                forcerm?: string;
                /** @description `default`/`bridge` or `host` (RUN steps share the host's network), `none` (an empty network namespace) */
                networkmode?: string;
                /** @description `host:ip` entries for /etc/hosts in RUN steps (repeatable or comma-separated) */
                extrahosts?: string | string[];
                /** @description Bytes of /dev/shm in RUN steps */
                shmsize?: number;
                /** @description Memory limit of RUN steps, bytes (any limit runs RUN steps under the OCI runtime, which applies it) */
                memory?: number;
                /** @description Memory plus swap of RUN steps, bytes; -1 unlimited */
                memswap?: number;
                /** @description CPU shares of RUN steps */
                cpushares?: number;
                /** @description CFS period of RUN steps, microseconds */
                cpuperiod?: number;
                /** @description CFS quota of RUN steps, microseconds */
                cpuquota?: number;
                /** @description CPUs RUN steps may use, e.g. `0-1` */
                cpusetcpus?: string;
                /** @description Memory nodes RUN steps may use */
                cpusetmems?: string;
                /** @description Only the host's platform (e.g. `linux/amd64`) is built */
                platform?: string;
                /** @description `1` (the classic builder); `2` (BuildKit) is refused */
                version?: string;
                /** @description Accepted and ignored: the build cache is buildah's local one */
                cachefrom?: string;
                /** @description A BuildKit session: refused */
                session?: string;
                /** @description A remote context (Git URL or tarball URL): refused; send the context as the body */
                remote?: string;
            };
            header?: {
                /** @description Credentials for base images: base64url of a JSON object from registry address to AuthConfig. Never logged nor stored. */
                "x-registry-config"?: string;
            };
            path?: never;
            cookie?: never;
        };
        /** @description A tar archive, plain or gzip, sent with any content type (the CLI sends text/plain or application/x-tar); no size limit */
        requestBody: {
            content: {
                "application/x-tar": unknown;
                "application/tar": unknown;
                "text/plain": unknown;
            };
        };
        responses: {
            /** @description Docker's build stream, one JSON object per line */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JsonMessage"];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Request body too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    BuildPrune: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                all?: string;
                filters?: string;
                "keep-storage"?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @description Ids of the build-cache images removed */
                        CachesDeleted: string[];
                        /** @description Bytes freed in the builder's storage */
                        SpaceReclaimed: number;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    Session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    VolumeList: {
        parameters: {
            query?: {
                /** @description JSON: {"key": ["value", ...]} */
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The volumes, by name */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Volumes: components["schemas"]["Volume"][];
                        Warnings: string[];
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    VolumeCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** @description Docker's VolumeCreateOptions. Unknown fields (ClusterVolumeSpec) are ignored. */
        requestBody: {
            content: {
                "application/json": {
                    /** @description A name matching [a-zA-Z0-9][a-zA-Z0-9_.-]+; 64 random hex digits when absent */
                    Name?: string;
                    /** @description `local` (or empty) */
                    Driver?: string;
                    /** @description type, device and o: mounted (mount -t type -o o device) on the volume's dir at its first use, unmounted when no container uses it */
                    DriverOpts?: null | {
                        [key: string]: string;
                    };
                    Labels?: null | {
                        [key: string]: string;
                    };
                };
            };
        };
        responses: {
            /** @description The volume */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Volume"];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    VolumePrune: {
        parameters: {
            query?: {
                /** @description JSON: {"key": ["value", ...]} */
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The volumes removed and the bytes they held */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        VolumesDeleted: null | string[];
                        SpaceReclaimed: number;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    VolumeInspect: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The volume's name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The volume */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Volume"];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    VolumeDelete: {
        parameters: {
            query?: {
                /** @description Docker boolean: `1`, `true`, `True` are true; `0`, `false`, `no`, `none` and empty are false */
                force?: string;
            };
            header?: never;
            path: {
                /** @description The volume's name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    NetworkList: {
        parameters: {
            query?: {
                /** @description JSON: name, id, label, driver, type (custom, builtin), dangling, scope */
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Name: string;
                        Id: string;
                        Created: string;
                        Scope: string;
                        /** @description bridge; host and null for the predefined host and none */
                        Driver: string;
                        EnableIPv6: boolean;
                        IPAM: unknown;
                        Internal: boolean;
                        Attachable: boolean;
                        Ingress: boolean;
                        /** @description Containers with a run on the network: Name, EndpointID, MacAddress, IPv4Address */
                        Containers: {
                            [key: string]: unknown;
                        };
                        Options: {
                            [key: string]: string;
                        };
                        Labels: {
                            [key: string]: string;
                        };
                    }[];
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    NetworkInspect: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Docker's network document */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Name: string;
                        Id: string;
                        Created: string;
                        Scope: string;
                        /** @description bridge; host and null for the predefined host and none */
                        Driver: string;
                        EnableIPv6: boolean;
                        IPAM: unknown;
                        Internal: boolean;
                        Attachable: boolean;
                        Ingress: boolean;
                        /** @description Containers with a run on the network: Name, EndpointID, MacAddress, IPv4Address */
                        Containers: {
                            [key: string]: unknown;
                        };
                        Options: {
                            [key: string]: string;
                        };
                        Labels: {
                            [key: string]: string;
                        };
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    NetworkDelete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Done */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The container's root filesystem is read-only to berth (ReadonlyRootfs, or an OCI bundle's, which berth never writes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    NetworkCreate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    Name: string;
                    Driver?: string;
                    /** @description No route out of the network (no masquerade) */
                    Internal?: boolean;
                    Attachable?: boolean;
                    Ingress?: boolean;
                    /** @description Ignored: names are always unique, as since Docker 1.44 */
                    CheckDuplicate?: boolean;
                    /** @description Only false: berth networks are IPv4 only */
                    EnableIPv6?: boolean;
                    Labels?: null | {
                        [key: string]: string;
                    };
                    Options?: null | {
                        [key: string]: string;
                    };
                    IPAM?: null | {
                        Driver?: string;
                        Config?: null | {
                            Subnet?: null | string;
                            Gateway?: null | string;
                            IPRange?: null | string;
                        }[];
                        Options?: null | {
                            [key: string]: string;
                        };
                    };
                };
            };
        };
        responses: {
            /** @description Default Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Id: string;
                        Warning: string;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The container's root filesystem is read-only to berth (ReadonlyRootfs, or an OCI bundle's, which berth never writes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    NetworkConnect: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description The container's id, name or id prefix */
                    Container: string;
                    EndpointConfig?: null | {
                        Aliases?: null | string[];
                        IPAMConfig?: null | {
                            IPv4Address?: string;
                        };
                    };
                };
            };
        };
        responses: {
            /** @description Done */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The container's root filesystem is read-only to berth (ReadonlyRootfs, or an OCI bundle's, which berth never writes) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    NetworkDisconnect: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Full id, name, or unique id prefix */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    Container: string;
                    /** @description Also for a network removed since: its name goes from the container's record */
                    Force?: boolean;
                };
            };
        };
        responses: {
            /** @description Done */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such container or image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Conflict with the container's state, another container, or an image in use */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    NetworkReconcile: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        Repaired: string[];
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    NetworkPrune: {
        parameters: {
            query?: {
                /** @description JSON: label, label!, until */
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Default Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        NetworksDeleted: string[];
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    SystemEvents: {
        parameters: {
            query?: {
                /** @description Replay kept events from this time: unix seconds (fraction allowed) or RFC 3339 */
                since?: string;
                /** @description End the stream at this time: unix seconds (fraction allowed) or RFC 3339 */
                until?: string;
                /** @description JSON: `{"type":["container"],"event":["die"]}` or `{"event":{"die":true}}`; keys container, image, volume, event, type, label */
                filters?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description One event per line (application/json, newline-delimited), flushed as it happens */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "Type": "container",
                     *       "Action": "die",
                     *       "Actor": {
                     *         "ID": "5047c1f3e2a0",
                     *         "Attributes": {
                     *           "execDuration": "2",
                     *           "exitCode": "0",
                     *           "image": "bb",
                     *           "name": "x"
                     *         }
                     *       },
                     *       "scope": "local",
                     *       "time": 1795857574,
                     *       "timeNano": 1795857574123456800
                     *     }
                     */
                    "application/json": {
                        /** @description `container`, `image` or `volume` */
                        Type: string;
                        /** @description create, start, die, kill, stop, pause, unpause, restart, destroy, attach, oom, exec_create: CMD, exec_start: CMD, exec_die, archive-path, extract-to-dir, export, commit; import, load, tag, untag, delete; volumes: create, mount, unmount, destroy */
                        Action: string;
                        Actor: {
                            ID: string;
                            /** @description Containers: their labels, image, name (and exitCode, execDuration, signal, execID); images: name */
                            Attributes: {
                                [key: string]: string;
                            };
                        };
                        scope: string;
                        /** @description Unix seconds */
                        time: number;
                        /** @description Unix nanoseconds, written exactly (above 2^53: parse it as a big integer) */
                        timeNano: number;
                        /** @deprecated */
                        status?: string;
                        /** @deprecated */
                        id?: string;
                        /** @deprecated */
                        from?: string;
                    };
                };
            };
            /** @description Bad parameter */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Server error: the runtime's or the monitor's own message */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
}
