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

package app

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

type (
	envVar = lightningv1alpha1.EnvVar
	secVar = lightningv1alpha1.SecretEnvVar
)

func TestParseVars(t *testing.T) {
	invalidFormat := func(arg string) string {
		return "Invalid format of environment variable " + arg + ", please ensure that the variable is in the format e.g. foo=bar."
	}
	notAName := func(name string) string {
		return "Environment variable '" + name + "' is not a valid name. It must start with a letter or _ (underscore) and contain only letters A-Z, a-z, digits 0-9 and _ (underscore)."
	}
	badSecret := func(secret, name, suggestion string) string {
		msg := "Invalid secret name '" + secret + "' for environment variable '" + name + "': " + cmdutil.SecretNameRule
		if suggestion == "" {
			return msg + "."
		}
		return msg + `; did you mean "` + suggestion + `"?`
	}
	many := func(prefix string, n int) []string {
		var args []string
		for i := range n {
			args = append(args, prefix+strings.Repeat("X", i+1)+"=v")
		}
		return args
	}

	tests := []struct {
		name    string
		env     []string
		secrets []string
		want    Vars
		wantErr string
	}{
		{name: "nothing"},
		{
			name: "Lightning's example",
			env:  []string{"FOO=bar"}, secrets: []string{"MY_APP_SECRET=my-secret"},
			want: Vars{Env: []envVar{{Name: "FOO", Value: "bar"}}, Secrets: []secVar{{Name: "MY_APP_SECRET", SecretRef: "my-secret"}}},
		},
		{
			name: "flags repeat and keep their order",
			env:  []string{"B=2", "A=1", "C=3"},
			want: Vars{Env: []envVar{{Name: "B", Value: "2"}, {Name: "A", Value: "1"}, {Name: "C", Value: "3"}}},
		},
		{
			name: "the first = splits, so values may contain =",
			env:  []string{"DSN=postgres://u@h/db?sslmode=require&a=b", "B64=aGk=", "EQ=="},
			want: Vars{Env: []envVar{
				{Name: "DSN", Value: "postgres://u@h/db?sslmode=require&a=b"},
				{Name: "B64", Value: "aGk="},
				{Name: "EQ", Value: "="},
			}},
		},
		{
			name: "an empty env value is allowed",
			env:  []string{"EMPTY="},
			want: Vars{Env: []envVar{{Name: "EMPTY", Value: ""}}},
		},
		{
			name: "values keep spaces, newlines and unicode",
			env:  []string{"MSG= hello\nworld ", "UNI=héllo ✓"},
			want: Vars{Env: []envVar{{Name: "MSG", Value: " hello\nworld "}, {Name: "UNI", Value: "héllo ✓"}}},
		},
		{
			name: "names may start with _ and hold digits and lowercase",
			env:  []string{"_x1=a", "lower_Case9=b"},
			want: Vars{Env: []envVar{{Name: "_x1", Value: "a"}, {Name: "lower_Case9", Value: "b"}}},
		},
		{
			name:    "two env vars may use the same secret",
			secrets: []string{"TOKEN=gh", "GITHUB_TOKEN=gh"},
			want:    Vars{Secrets: []secVar{{Name: "TOKEN", SecretRef: "gh"}, {Name: "GITHUB_TOKEN", SecretRef: "gh"}}},
		},
		{
			name:    "secret names may hold dots",
			secrets: []string{"K=my.secret-2"},
			want:    Vars{Secrets: []secVar{{Name: "K", SecretRef: "my.secret-2"}}},
		},

		// Invalid format: no '=' or an empty name.
		{name: "env without =", env: []string{"FOO"}, wantErr: invalidFormat("FOO")},
		{name: "env with an empty name", env: []string{"=bar"}, wantErr: invalidFormat("=bar")},
		{name: "env that is only =", env: []string{"="}, wantErr: invalidFormat("=")},
		{name: "empty env argument", env: []string{""}, wantErr: invalidFormat("")},
		{name: "secret without =", secrets: []string{"MY_SECRET"}, wantErr: invalidFormat("MY_SECRET")},
		{name: "secret with an empty name", secrets: []string{"=my-secret"}, wantErr: invalidFormat("=my-secret")},
		{name: "the error names the bad argument among good ones", env: []string{"A=1", "BAD", "C=3"}, wantErr: invalidFormat("BAD")},
		{name: "a newline in the argument stays on one line", env: []string{"FOO\nBAR"}, wantErr: invalidFormat(`FOO\nBAR`)},

		// Names: anchored ^[A-Za-z_][A-Za-z0-9_]*$ (Lightning's unanchored match accepted these).
		{name: "name starting with a digit", env: []string{"1FOO=x"}, wantErr: notAName("1FOO")},
		{name: "name with a dash", env: []string{"FOO-BAR=x"}, wantErr: notAName("FOO-BAR")},
		{name: "name with a trailing symbol", env: []string{"FOO!=x"}, wantErr: notAName("FOO!")},
		{name: "name with a space", env: []string{"FOO BAR=x"}, wantErr: notAName("FOO BAR")},
		{name: "name with a dot", env: []string{"a.b=x"}, wantErr: notAName("a.b")},
		{name: "non-ASCII name", env: []string{"FÖÖ=x"}, wantErr: notAName("FÖÖ")},
		{name: "secret env name is checked too", secrets: []string{"MY-SECRET=s"}, wantErr: notAName("MY-SECRET")},
		{
			name:    "name longer than the schema allows",
			env:     []string{strings.Repeat("N", 257) + "=x"},
			wantErr: "Environment variable '" + strings.Repeat("N", cmdutil.MaxShown) + "…' is not a valid name. It is 257 characters long; the limit is 256.",
		},

		// Duplicates.
		{name: "duplicate env", env: []string{"X=1", "X=2"}, wantErr: "Environment variable 'X' is duplicated. Please only include it once."},
		{name: "duplicate env with the same value", env: []string{"X=1", "X=1"}, wantErr: "Environment variable 'X' is duplicated. Please only include it once."},
		{name: "duplicate secret", secrets: []string{"X=a", "X=b"}, wantErr: "Environment variable 'X' is duplicated. Please only include it once."},
		{
			name: "same name in --env and --secret", env: []string{"X=1"}, secrets: []string{"X=a"},
			wantErr: "Environment variable 'X' is set by both --env and --secret. Please only include it once.",
		},
		{name: "names are case sensitive", env: []string{"x=1", "X=2"}, want: Vars{Env: []envVar{{Name: "x", Value: "1"}, {Name: "X", Value: "2"}}}},

		// Secret names: a LightningSecret name, with a suggestion.
		{
			name: "empty secret name", secrets: []string{"K="},
			wantErr: "Secret name for environment variable 'K' is empty, please ensure that the secret is in the format e.g. MY_SECRET=my-secret.",
		},
		{name: "underscores", secrets: []string{"GH=github_api_token"}, wantErr: badSecret("github_api_token", "GH", "github-api-token")},
		{name: "uppercase", secrets: []string{"GH=GITHUB_API_TOKEN"}, wantErr: badSecret("GITHUB_API_TOKEN", "GH", "github-api-token")},
		{name: "leading symbol", secrets: []string{"K=_token"}, wantErr: badSecret("_token", "K", "token")},
		{name: "trailing dash", secrets: []string{"K=token-"}, wantErr: badSecret("token-", "K", "token")},
		{name: "empty dot part", secrets: []string{"K=a..b"}, wantErr: badSecret("a..b", "K", "a.b")},
		{name: "space", secrets: []string{"K=my secret"}, wantErr: badSecret("my secret", "K", "my-secret")},
		{name: "value holding '='", secrets: []string{"K=a=b"}, wantErr: badSecret("a=b", "K", "a-b")},
		{name: "leading digit has no good suggestion", secrets: []string{"K=1password"}, wantErr: badSecret("1password", "K", "")},
		{name: "only symbols", secrets: []string{"K=___"}, wantErr: badSecret("___", "K", "")},
		{
			name: "too long is not cut into another name", secrets: []string{"K=" + strings.Repeat("a", 254)},
			wantErr: badSecret(strings.Repeat("a", cmdutil.MaxShown)+"…", "K", ""),
		},

		// Values and counts the schema limits.
		{name: "invalid UTF-8 value", env: []string{"K=\xff"}, wantErr: "Environment variable 'K' has a value that is not valid UTF-8."},
		{
			name: "value too long", env: []string{"K=" + strings.Repeat("v", maxEnvValueLen+1)},
			wantErr: "Environment variable 'K' has a value of 32769 characters; the limit is 32768.",
		},
		{name: "value at the limit", env: []string{"K=" + strings.Repeat("é", maxEnvValueLen)}, want: Vars{Env: []envVar{{Name: "K", Value: strings.Repeat("é", maxEnvValueLen)}}}},
		{name: "too many env", env: many("E", maxListItems+1), wantErr: "Too many environment variables: 129 --env flags, the limit is 128."},
		{name: "too many secrets", secrets: many("S", maxListItems+1), wantErr: "Too many secrets: 129 --secret flags, the limit is 128."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseVars(tc.env, tc.secrets)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseVars() = %+v, want error %q", got, tc.wantErr)
				}
				if diff := cmp.Diff(tc.wantErr, err.Error()); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				if strings.ContainsAny(err.Error(), "\n\r") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseVars() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseVars() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppNameFromFile(t *testing.T) {
	tests := []struct{ file, want string }{
		{"/home/u/My_App/app.py", "my-app"},
		{"/home/u/my-app/app.py", "my-app"},
		{"/home/u/my.app/src.py", "my-app"},
		{"/home/u/Data 2024/app.py", "data-2024"},
		{"/home/u/--x--/app.py", "x"},
		{"/srv/2024/app.py", "2024"},
		{"/home/u/.hidden/app.py", "hidden"},
		{"/home/u/My_App/./app.py", "my-app"},
		{"/home/u/My_App/sub/../app.py", "my-app"},
		{"/app.py", fallbackAppName},
		{"/home/u/___/app.py", fallbackAppName},
		{"/home/u/数据/app.py", fallbackAppName},
		{"/home/u/" + strings.Repeat("long_", 20) + "/app.py", strings.Repeat("long-", 12) + "lon"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got := AppNameFromFile(tc.file)
			if got != tc.want {
				t.Errorf("AppNameFromFile(%q) = %q, want %q", tc.file, got, tc.want)
			}
			if err := ValidateAppName(got); err != nil {
				t.Errorf("derived name is invalid: %v", err)
			}
		})
	}
}

func TestValidateAppName(t *testing.T) {
	tests := []struct{ name, wantErr string }{
		{name: "my-app"},
		{name: "2024"},
		{name: strings.Repeat("a", 63)},
		{name: "My_App", wantErr: "Invalid app name 'My_App': " + appNameRule + `; did you mean "my-app"?`},
		{name: "my.app", wantErr: "Invalid app name 'my.app': " + appNameRule + `; did you mean "my-app"?`},
		{name: "", wantErr: "Invalid app name '': " + appNameRule + "."},
		{name: strings.Repeat("a", 64), wantErr: "Invalid app name '" + strings.Repeat("a", 64) + "': " + appNameRule + `; did you mean "` + strings.Repeat("a", 63) + `"?`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateAppName(tc.name)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("ValidateAppName(%q) = %q, want %q", tc.name, got, tc.wantErr)
			}
		})
	}
}

func TestParseWorks(t *testing.T) {
	badWork := func(arg string) string {
		return "Invalid work '" + arg + "': a work is a Lightning component path such as root.work_a or root.works.0, optionally followed by =COMPUTE, e.g. --work root.work_a=gpu."
	}
	badCompute := func(path, compute string) string {
		return "Invalid cloud compute for work '" + path + "': '" + compute + "' is not a compute name: use lowercase letters, digits and '-', at most 63 characters, e.g. gpu or cpu-small."
	}
	tests := []struct {
		name    string
		args    []string
		want    []lightningv1alpha1.WorkSpec
		wantErr string
	}{
		{name: "none"},
		{
			name: "paths with and without compute",
			args: []string{"root.work_a=gpu", "root.works.0", "root.serve.api=cpu-small"},
			want: []lightningv1alpha1.WorkSpec{
				{Name: "root.work_a", CloudCompute: &lightningv1alpha1.CloudCompute{Name: "gpu"}},
				{Name: "root.works.0"},
				{Name: "root.serve.api", CloudCompute: &lightningv1alpha1.CloudCompute{Name: "cpu-small"}},
			},
		},
		{name: "the flow itself", args: []string{"root"}, wantErr: badWork("root")},
		{name: "without root", args: []string{"work_a"}, wantErr: badWork("work_a")},
		{name: "empty part", args: []string{"root..a"}, wantErr: badWork("root..a")},
		{name: "dash in a path", args: []string{"root.work-a"}, wantErr: badWork("root.work-a")},
		{name: "empty", args: []string{""}, wantErr: badWork("")},
		{name: "empty compute", args: []string{"root.a="}, wantErr: badCompute("root.a", "")},
		{name: "uppercase compute", args: []string{"root.a=GPU"}, wantErr: badCompute("root.a", "GPU")},
		{name: "second =", args: []string{"root.a=gpu=x"}, wantErr: badCompute("root.a", "gpu=x")},
		{name: "duplicate", args: []string{"root.a", "root.a=gpu"}, wantErr: "Work 'root.a' is duplicated. Please only include it once."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWorks(tc.args)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("ParseWorks() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseWorks() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseWorks() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateImage(t *testing.T) {
	tests := []struct{ image, wantErr string }{
		{image: "registry.example/my-app:1.0"},
		{image: "ghcr.io/u/app@sha256:" + strings.Repeat("0", 64)},
		{image: "", wantErr: "--image is required: the container image that runs the app's flow and works, e.g. --image registry.example/my-app:1.0"},
		{image: "my app", wantErr: "Invalid image 'my app': an image reference must not contain spaces."},
		{image: " app", wantErr: "Invalid image ' app': an image reference must not contain spaces."},
		{image: "app\x00", wantErr: `Invalid image 'app\x00': an image reference must be printable text.`},
		{image: strings.Repeat("a", maxImageLen+1), wantErr: "Invalid image '" + strings.Repeat("a", cmdutil.MaxShown) + "…': it is longer than 1024 characters."},
	}
	for _, tc := range tests {
		t.Run(tc.image, func(t *testing.T) {
			err := ValidateImage(tc.image)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("ValidateImage(%q) = %q, want %q", tc.image, got, tc.wantErr)
			}
		})
	}
}

func TestEntrypoint(t *testing.T) {
	tests := []struct{ file, want, wantErr string }{
		{file: "app.py", want: "app.py"},
		{file: "./app.py", want: "app.py"},
		{file: "src/main.py", want: "main.py"},
		{file: "/home/u/My_App/app.py", want: "app.py"},
		{file: "", wantErr: "Invalid app file '': give the app's Python file, e.g. app.py."},
		{file: ".", wantErr: "Invalid app file '.': give the app's Python file, e.g. app.py."},
		{file: "/", wantErr: "Invalid app file '/': give the app's Python file, e.g. app.py."},
		{file: "a\nb.py", wantErr: `Invalid app file 'a\nb.py': the file name must be printable text.`},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Entrypoint(tc.file)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tc.want || gotErr != tc.wantErr {
				t.Errorf("Entrypoint(%q) = %q, %q; want %q, %q", tc.file, got, gotErr, tc.want, tc.wantErr)
			}
		})
	}
}
