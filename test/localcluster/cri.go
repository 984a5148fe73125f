/*
Copyright 2026 The lightning-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package localcluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// removePodSandboxes stops and removes every pod sandbox of the node's
// containerd through the CRI, as the kubelet does for a deleted pod: that
// kills the containers, calls the CNI plugins' DEL and unmounts the
// sandbox's network namespace.
func removePodSandboxes(socket string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := grpc.NewClient("unix://"+socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	rt := runtimeapi.NewRuntimeServiceClient(conn)
	list, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return fmt.Errorf("listing pod sandboxes: %w", err)
	}
	var errs []error
	for _, sb := range list.Items {
		if err := removePodSandbox(ctx, rt, sb.Id); err != nil {
			errs = append(errs, fmt.Errorf("pod sandbox of %s/%s: %w", sb.Metadata.GetNamespace(), sb.Metadata.GetName(), err))
		}
	}
	return errors.Join(errs...)
}

// removePodSandbox stops and removes one sandbox. A container the kubelet
// was starting when it stopped cannot be removed until containerd has
// started it, so that refusal is retried until ctx ends (a clean-clone CI
// run failed on it once).
func removePodSandbox(ctx context.Context, rt runtimeapi.RuntimeServiceClient, id string) error {
	for {
		_, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id})
		if err != nil {
			err = fmt.Errorf("stopping: %w", err)
		} else if _, err = rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
			err = fmt.Errorf("removing: %w", err)
		}
		if err == nil || !stillStarting(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// stillStarting says whether containerd refused because a container is
// still being started; it says so only in the message.
func stillStarting(err error) bool {
	return strings.Contains(err.Error(), "is in starting state")
}

// unmount unmounts mp, lazily when it is busy.
func unmount(mp string) error {
	err := syscall.Unmount(mp, 0)
	if err == nil || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOENT) {
		return nil
	}
	return syscall.Unmount(mp, syscall.MNT_DETACH)
}
