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

package keysecret

import (
	"testing"
	"time"
)

func TestStorageFor(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		kmsSet, migrate, found bool
		want                   storage
	}{
		{"no KMS, plain: kept plain", false, false, false, storePlain},
		{"no KMS, plain, --kms-migrate ignored (main refuses it)", false, true, false, storePlain},
		{"no KMS, wrapped: nothing opens it", false, false, true, storeNoKMS},
		{"no KMS, wrapped, --kms-migrate: nothing opens it", false, true, true, storeNoKMS},
		{"KMS, wrapped: kept wrapped", true, false, true, storeWrapped},
		{"KMS, wrapped, --kms-migrate: kept wrapped (migrated once)", true, true, true, storeWrapped},
		{"KMS, plain, --kms-migrate: wrapped now", true, true, false, storeMigrate},
		{"KMS, plain, no --kms-migrate: kept plain, with a warning", true, false, false, storeNotWrapped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := storageFor(tc.kmsSet, tc.migrate, tc.found); got != tc.want {
				t.Errorf("storageFor(kms %v, migrate %v, wrapped %v) = %d, want %d", tc.kmsSet, tc.migrate, tc.found, got, tc.want)
			}
		})
	}
}

func TestKMSRetryAfter(t *testing.T) {
	for failures, want := range map[int]time.Duration{
		1: 2 * time.Second, 2: 4 * time.Second, 3: 8 * time.Second, 4: 16 * time.Second,
		5: 30 * time.Second, 6: 30 * time.Second, 100: 30 * time.Second,
	} {
		if got := kmsRetryAfter(failures); got != want {
			t.Errorf("kmsRetryAfter(%d) = %s, want %s", failures, got, want)
		}
	}
}
