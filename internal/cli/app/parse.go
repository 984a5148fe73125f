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
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
	"github.com/lightning-operator/lightning-operator/internal/cli/cmdutil"
)

// Limits of the LightningApp schema (config/crd/bases), checked here so a
// printed manifest is never refused at apply time. TestChecksMatchTheCRD
// keeps these and the patterns below equal to the generated CRD.
const (
	maxEnvNameLen    = 256
	maxEnvValueLen   = 32768
	maxListItems     = 128
	maxWorkPathLen   = 253
	maxComputeLen    = 63
	maxImageLen      = 1024
	maxEntrypointLen = 1024
	maxAppNameLen    = validation.DNS1123LabelMaxLength
	// fallbackAppName names an app whose folder gives no usable name.
	fallbackAppName = "lightning-app"
)

var (
	// envNameRE is anchored: Lightning's unanchored re.match accepted "1A-B".
	envNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	workPathRE = regexp.MustCompile(`^root(\.([A-Za-z_][A-Za-z0-9_]*|[0-9]+))+$`)
	computeRE  = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

// Vars are the parsed --env and --secret flags, in the order given.
type Vars struct {
	Env     []lightningv1alpha1.EnvVar
	Secrets []lightningv1alpha1.SecretEnvVar
}

// ParseVars applies Lightning's rules for `--env K=V` and `--secret K=NAME`,
// with its bugs fixed: a value may contain '=' (the first '=' splits), a name
// must match ^[A-Za-z_][A-Za-z0-9_]*$ in full, and a name may appear once
// across both flags. Errors are one line and name the offending argument.
func ParseVars(env, secrets []string) (Vars, error) {
	if len(env) > maxListItems {
		return Vars{}, fmt.Errorf("Too many environment variables: %d --env flags, the limit is %d.", len(env), maxListItems)
	}
	if len(secrets) > maxListItems {
		return Vars{}, fmt.Errorf("Too many secrets: %d --secret flags, the limit is %d.", len(secrets), maxListItems)
	}
	seen := map[string]string{} // name -> flag that set it
	envVars, err := parseEnv(env, seen)
	if err != nil {
		return Vars{}, err
	}
	secretVars, err := parseSecrets(secrets, seen)
	if err != nil {
		return Vars{}, err
	}
	return Vars{Env: envVars, Secrets: secretVars}, nil
}

// parseEnv reads the --env flags, noting each name in seen.
func parseEnv(args []string, seen map[string]string) ([]lightningv1alpha1.EnvVar, error) {
	var vars []lightningv1alpha1.EnvVar
	for _, arg := range args {
		name, value, err := splitVar(arg, seen, "--env")
		if err != nil {
			return nil, err
		}
		if !utf8.ValidString(value) {
			return nil, fmt.Errorf("Environment variable '%s' has a value that is not valid UTF-8.", name)
		}
		if n := utf8.RuneCountInString(value); n > maxEnvValueLen {
			return nil, fmt.Errorf("Environment variable '%s' has a value of %d characters; the limit is %d.", name, n, maxEnvValueLen)
		}
		vars = append(vars, lightningv1alpha1.EnvVar{Name: name, Value: value})
	}
	return vars, nil
}

// parseSecrets reads the --secret flags, noting each name in seen.
func parseSecrets(args []string, seen map[string]string) ([]lightningv1alpha1.SecretEnvVar, error) {
	var vars []lightningv1alpha1.SecretEnvVar
	for _, arg := range args {
		name, secret, err := splitVar(arg, seen, "--secret")
		if err != nil {
			return nil, err
		}
		if secret == "" {
			return nil, fmt.Errorf("Secret name for environment variable '%s' is empty, please ensure that the secret is in the format e.g. MY_SECRET=my-secret.", name)
		}
		if reason, suggestion := cmdutil.CheckSecretName(secret); reason != "" {
			return nil, fmt.Errorf("Invalid secret name '%s' for environment variable '%s': %s%s", cmdutil.Show(secret), name, reason, cmdutil.DidYouMean(suggestion))
		}
		vars = append(vars, lightningv1alpha1.SecretEnvVar{Name: name, SecretRef: secret})
	}
	return vars, nil
}

// splitVar splits K=V on the first '=', checks the name and that no flag
// set it before (seen), and notes that flag set it.
func splitVar(arg string, seen map[string]string, flag string) (name, value string, err error) {
	name, value, ok := strings.Cut(arg, "=")
	if !ok || name == "" {
		return "", "", fmt.Errorf("Invalid format of environment variable %s, please ensure that the variable is in the format e.g. foo=bar.", cmdutil.Show(arg))
	}
	if !envNameRE.MatchString(name) {
		return "", "", fmt.Errorf("Environment variable '%s' is not a valid name. It must start with a letter or _ (underscore) and contain only letters A-Z, a-z, digits 0-9 and _ (underscore).", cmdutil.Show(name))
	}
	if len(name) > maxEnvNameLen {
		return "", "", fmt.Errorf("Environment variable '%s' is not a valid name. It is %d characters long; the limit is %d.", cmdutil.Show(name), len(name), maxEnvNameLen)
	}
	if prev, dup := seen[name]; dup {
		return "", "", duplicateError(name, prev, flag)
	}
	seen[name] = flag
	return name, value, nil
}

func duplicateError(name, prevFlag, flag string) error {
	if prevFlag == flag {
		return fmt.Errorf("Environment variable '%s' is duplicated. Please only include it once.", name)
	}
	return fmt.Errorf("Environment variable '%s' is set by both --env and --secret. Please only include it once.", name)
}

// appNameRule says what a LightningApp name is: its name is a label value on
// every pod of the app, so it is a DNS-1123 label.
const appNameRule = "an app name must contain only lowercase letters, digits and '-', start and end with a letter or digit, and be at most 63 characters (RFC 1123 label)"

// ValidateAppName checks a LightningApp name given with --name.
func ValidateAppName(name string) error {
	if len(validation.IsDNS1123Label(name)) == 0 {
		return nil
	}
	suggestion := dnsLabel(name)
	if suggestion == name {
		suggestion = ""
	}
	return fmt.Errorf("Invalid app name '%s': %s%s", cmdutil.Show(name), appNameRule, cmdutil.DidYouMean(suggestion))
}

// AppNameFromFile derives an app name from the folder of the app's file, as
// Lightning names an app after its folder: /home/u/My_App/app.py gives
// my-app. file should be absolute. A folder that gives no usable name (the
// file system root, or a name of symbols only) gives "lightning-app".
func AppNameFromFile(file string) string {
	dir := filepath.Base(filepath.Dir(filepath.Clean(file)))
	if name := dnsLabel(dir); name != "" {
		return name
	}
	return fallbackAppName
}

// dnsLabel turns s into a DNS-1123 label, or "" if nothing is left.
func dnsLabel(s string) string {
	return cmdutil.DNSName(strings.ReplaceAll(s, ".", "-"), maxAppNameLen, false, true)
}

// ParseWorks reads `--work PATH[=COMPUTE]` flags: a Lightning component path
// such as root.work_a, and optionally a CloudCompute name.
func ParseWorks(args []string) ([]lightningv1alpha1.WorkSpec, error) {
	if len(args) > maxListItems {
		return nil, fmt.Errorf("Too many works: %d --work flags, the limit is %d.", len(args), maxListItems)
	}
	var works []lightningv1alpha1.WorkSpec
	seen := map[string]bool{}
	for _, arg := range args {
		path, compute, hasCompute := strings.Cut(arg, "=")
		if len(path) > maxWorkPathLen || !workPathRE.MatchString(path) {
			return nil, fmt.Errorf("Invalid work '%s': a work is a Lightning component path such as root.work_a or root.works.0, optionally followed by =COMPUTE, e.g. --work root.work_a=gpu.", cmdutil.Show(arg))
		}
		if seen[path] {
			return nil, fmt.Errorf("Work '%s' is duplicated. Please only include it once.", path)
		}
		seen[path] = true
		w := lightningv1alpha1.WorkSpec{Name: path}
		if hasCompute {
			if err := ValidateCompute(compute); err != nil {
				return nil, fmt.Errorf("Invalid cloud compute for work '%s': %w", path, err)
			}
			w.CloudCompute = &lightningv1alpha1.CloudCompute{Name: compute}
		}
		works = append(works, w)
	}
	return works, nil
}

// ValidateCompute checks a CloudCompute name; which names exist is up to the
// operator's preset table, so only the syntax is checked here.
func ValidateCompute(name string) error {
	if len(name) > maxComputeLen || !computeRE.MatchString(name) {
		return fmt.Errorf("'%s' is not a compute name: use lowercase letters, digits and '-', at most 63 characters, e.g. gpu or cpu-small.", cmdutil.Show(name))
	}
	return nil
}

// ValidateImage checks --image the way a pod's image is checked.
func ValidateImage(image string) error {
	switch {
	case image == "":
		return fmt.Errorf("--image is required: the container image that runs the app's flow and works, e.g. --image registry.example/my-app:1.0")
	case strings.IndexFunc(image, unicode.IsSpace) >= 0:
		return fmt.Errorf("Invalid image '%s': an image reference must not contain spaces.", cmdutil.Show(image))
	case !utf8.ValidString(image) || strings.IndexFunc(image, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return fmt.Errorf("Invalid image '%s': an image reference must be printable text.", cmdutil.Show(image))
	case utf8.RuneCountInString(image) > maxImageLen:
		return fmt.Errorf("Invalid image '%s': it is longer than %d characters.", cmdutil.Show(image), maxImageLen)
	}
	return nil
}

// Entrypoint is the app file as the image sees it. Lightning uploads the
// folder that holds FILE and runs FILE from it, so it is FILE's base name.
func Entrypoint(file string) (string, error) {
	ep := filepath.Base(filepath.Clean(file))
	switch {
	case file == "" || ep == "." || ep == string(filepath.Separator):
		return "", fmt.Errorf("Invalid app file '%s': give the app's Python file, e.g. app.py.", cmdutil.Show(file))
	case !utf8.ValidString(ep) || strings.IndexFunc(ep, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return "", fmt.Errorf("Invalid app file '%s': the file name must be printable text.", cmdutil.Show(file))
	case utf8.RuneCountInString(ep) > maxEntrypointLen:
		return "", fmt.Errorf("Invalid app file '%s': the file name is longer than %d characters.", cmdutil.Show(file), maxEntrypointLen)
	}
	return ep, nil
}
