
use builtin;
use str;

set edit:completion:arg-completer[secret] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'secret'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'secret'= {
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --set 'Legacy form: set ''<path> <json>'' in FILE (as `set`)'
            cand --disable-version-check 'Accepted for sops compatibility (secret never checks for updates online)'
            cand --output 'Write the result to PATH instead of stdout'
            cand --input-type 'Input format (default: from the file name)'
            cand --output-type 'Output format (default: from the file name)'
            cand --filename-override 'Use this name instead of FILE for picking formats and the creation rule'
            cand --extract 'Legacy decrypt: print only this part of the tree, e.g. ''["db"]["password"]'''
            cand -a 'age recipients, comma-separated (replaces the creation rule''s keys)'
            cand --age 'age recipients, comma-separated (replaces the creation rule''s keys)'
            cand -p 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)'
            cand --pgp 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)'
            cand -k 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)'
            cand --kms 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)'
            cand --azure-kv 'Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated (replaces the creation rule''s keys)'
            cand --hckms 'HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation rule''s keys)'
            cand --hc-vault-transit 'HashiCorp Vault transit key URIs, comma-separated (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule''s keys)'
            cand --gcp-kms 'GCP Cloud KMS key resource ids, comma-separated (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule''s keys)'
            cand --encryption-context 'KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation rule''s `kms` keys'
            cand --aws-profile 'AWS shared-config profile for the --kms keys'
            cand --unencrypted-suffix 'Leave values plain when a key on their path ends with SUFFIX'
            cand --encrypted-suffix 'Encrypt only values where a key on their path ends with SUFFIX'
            cand --unencrypted-regex 'Leave values plain when a key on their path matches REGEX'
            cand --encrypted-regex 'Encrypt only values where a key on their path matches REGEX'
            cand --unencrypted-comment-regex 'Leave values plain below a comment matching REGEX'
            cand --encrypted-comment-regex 'Encrypt only values below a comment matching REGEX'
            cand --shamir-secret-sharing-threshold 'How many key groups are needed to recover the data key'
            cand --add-age 'Add these age recipients (comma-separated) to the first key group'
            cand --rm-age 'Remove these age recipients (comma-separated) from every key group'
            cand --add-pgp 'Add these PGP fingerprints (comma-separated) to the first key group'
            cand --rm-pgp 'Remove these PGP fingerprints (comma-separated) from every key group'
            cand --add-kms 'Add these AWS KMS ARNs (comma-separated) to the first key group'
            cand --rm-kms 'Remove these AWS KMS ARNs (comma-separated) from every key group'
            cand --add-azure-kv 'Add these Azure Key Vault key URLs (comma-separated) to the first key group'
            cand --rm-azure-kv 'Remove these Azure Key Vault key URLs (comma-separated) from every key group'
            cand --add-hckms 'Add these HuaweiCloud KMS key ids (comma-separated) to the first key group'
            cand --rm-hckms 'Remove these HuaweiCloud KMS key ids (comma-separated) from every key group'
            cand --add-hc-vault-transit 'Add these Vault transit key URIs (comma-separated) to the first key group'
            cand --rm-hc-vault-transit 'Remove these Vault transit key URIs (comma-separated) from every key group'
            cand --add-gcp-kms 'Add these GCP Cloud KMS resource ids (comma-separated) to the first key group'
            cand --rm-gcp-kms 'Remove these GCP Cloud KMS resource ids (comma-separated) from every key group'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -d 'Legacy form: decrypt FILE (as `decrypt`)'
            cand --decrypt 'Legacy form: decrypt FILE (as `decrypt`)'
            cand -e 'Legacy form: encrypt FILE (as `encrypt`)'
            cand --encrypt 'Legacy form: encrypt FILE (as `encrypt`)'
            cand -r 'Legacy form: new data key for FILE (as `rotate`)'
            cand --rotate 'Legacy form: new data key for FILE (as `rotate`)'
            cand -v 'Print the version and exit'
            cand --version 'Print the version and exit'
            cand --check-for-updates 'With --version: say that secret does not check for updates (it works offline)'
            cand -i 'Write the result back to FILE (atomically, keeping its mode)'
            cand --in-place 'Write the result back to FILE (atomically, keeping its mode)'
            cand -s 'Legacy edit: show the sops metadata (master keys) in the editor too'
            cand --show-master-keys 'Legacy edit: show the sops metadata (master keys) in the editor too'
            cand --ignore-mac 'Do not check the file''s MAC'
            cand --mac-only-encrypted 'Authenticate only the encrypted values with the MAC'
            cand -h 'Print help'
            cand --help 'Print help'
            cand encrypt 'Encrypt a file (stdout by default)'
            cand decrypt 'Decrypt a file (stdout by default)'
            cand rotate 'Generate a new data key and re-encrypt every value (stdout by default)'
            cand updatekeys 'Give files the master keys of their .sops.yaml creation rule (same data key)'
            cand groups 'Add or delete key groups (Shamir secret sharing)'
            cand filestatus 'Print {"encrypted":true} or {"encrypted":false} for a file'
            cand edit 'Edit an encrypted file in your editor (a missing file starts from an example)'
            cand exec-env 'Run a command with the decrypted values in its environment'
            cand exec-file 'Run a command with the decrypted file at the path that replaces {}'
            cand set 'Set one value of an encrypted file in place: set FILE PATH JSON-VALUE'
            cand unset 'Remove one value of an encrypted file in place: unset FILE PATH'
            cand completion 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
            cand init 'Create an age key and a .sops.yaml for this repository'
            cand keyservice 'Serve this machine''s keys to other secret and sops runs (sops'' gRPC key service)'
            cand publish 'Upload encrypted files where the .sops.yaml destination_rules say (S3, Vault KV)'
            cand explain 'Show which .sops.yaml, rule, recipients and selector apply to a file'
            cand check 'Fail when secrets are committed: unencrypted files under a rule, keys, tokens'
            cand git-setup 'Set up git diff and merge drivers for encrypted files (--filter: plaintext work tree)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'secret;encrypt'= {
            cand --output 'Write the result to PATH instead of stdout'
            cand --input-type 'Input format (default: from the file name)'
            cand --output-type 'Output format (default: from the file name)'
            cand --filename-override 'Use this name instead of FILE for picking formats and the creation rule'
            cand --jobs 'How many files to work on at once'
            cand -a 'age recipients, comma-separated (replaces the creation rule''s keys)'
            cand --age 'age recipients, comma-separated (replaces the creation rule''s keys)'
            cand -p 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)'
            cand --pgp 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)'
            cand -k 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)'
            cand --kms 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)'
            cand --azure-kv 'Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated (replaces the creation rule''s keys)'
            cand --hckms 'HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation rule''s keys)'
            cand --hc-vault-transit 'HashiCorp Vault transit key URIs, comma-separated (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule''s keys)'
            cand --gcp-kms 'GCP Cloud KMS key resource ids, comma-separated (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule''s keys)'
            cand --encryption-context 'KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation rule''s `kms` keys'
            cand --aws-profile 'AWS shared-config profile for the --kms keys'
            cand --unencrypted-suffix 'Leave values plain when a key on their path ends with SUFFIX'
            cand --encrypted-suffix 'Encrypt only values where a key on their path ends with SUFFIX'
            cand --unencrypted-regex 'Leave values plain when a key on their path matches REGEX'
            cand --encrypted-regex 'Encrypt only values where a key on their path matches REGEX'
            cand --unencrypted-comment-regex 'Leave values plain below a comment matching REGEX'
            cand --encrypted-comment-regex 'Encrypt only values below a comment matching REGEX'
            cand --shamir-secret-sharing-threshold 'How many key groups are needed to recover the data key'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --to 'Encrypt into this existing encrypted file: its data key, master keys and selector are kept, and so is the ciphertext of every value that did not change; the result replaces it (or goes to --output; `--output -`: stdout)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -i 'Write the result back to FILE (atomically, keeping its mode)'
            cand --in-place 'Write the result back to FILE (atomically, keeping its mode)'
            cand -r 'Walk the directories among the paths (symbolic links are not followed)'
            cand --recursive 'Walk the directories among the paths (symbolic links are not followed)'
            cand --all 'Every file of the git work tree under a creation rule (.gitignore respected)'
            cand --mac-only-encrypted 'Authenticate only the encrypted values with the MAC'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;decrypt'= {
            cand --output 'Write the result to PATH instead of stdout'
            cand --input-type 'Input format (default: from the file name)'
            cand --output-type 'Output format (default: from the file name)'
            cand --filename-override 'Use this name instead of FILE for picking formats and the creation rule'
            cand --jobs 'How many files to work on at once'
            cand --extract 'Print only this part of the tree, e.g. ''["db"]["password"]'' or ''["list"][0]'''
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -i 'Write the result back to FILE (atomically, keeping its mode)'
            cand --in-place 'Write the result back to FILE (atomically, keeping its mode)'
            cand -r 'Walk the directories among the paths (symbolic links are not followed)'
            cand --recursive 'Walk the directories among the paths (symbolic links are not followed)'
            cand --all 'Every file of the git work tree under a creation rule (.gitignore respected)'
            cand --ignore-mac 'Do not check the file''s MAC'
            cand --mask 'Replace every decrypted value with ***** (layout and comments kept; for logs)'
            cand --merge 'Decrypt FILE and MORE files into one document: a later file''s keys override an earlier one''s (maps are merged key by key); written as FILE''s format'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;rotate'= {
            cand --output 'Write the result to PATH instead of stdout'
            cand --input-type 'Input format (default: from the file name)'
            cand --output-type 'Output format (default: from the file name)'
            cand --filename-override 'Use this name instead of FILE for picking formats and the creation rule'
            cand --add-age 'Add these age recipients (comma-separated) to the first key group'
            cand --rm-age 'Remove these age recipients (comma-separated) from every key group'
            cand --add-pgp 'Add these PGP fingerprints (comma-separated) to the first key group'
            cand --rm-pgp 'Remove these PGP fingerprints (comma-separated) from every key group'
            cand --add-kms 'Add these AWS KMS ARNs (comma-separated) to the first key group'
            cand --rm-kms 'Remove these AWS KMS ARNs (comma-separated) from every key group'
            cand --add-azure-kv 'Add these Azure Key Vault key URLs (comma-separated) to the first key group'
            cand --rm-azure-kv 'Remove these Azure Key Vault key URLs (comma-separated) from every key group'
            cand --add-hckms 'Add these HuaweiCloud KMS key ids (comma-separated) to the first key group'
            cand --rm-hckms 'Remove these HuaweiCloud KMS key ids (comma-separated) from every key group'
            cand --add-hc-vault-transit 'Add these Vault transit key URIs (comma-separated) to the first key group'
            cand --rm-hc-vault-transit 'Remove these Vault transit key URIs (comma-separated) from every key group'
            cand --add-gcp-kms 'Add these GCP Cloud KMS resource ids (comma-separated) to the first key group'
            cand --rm-gcp-kms 'Remove these GCP Cloud KMS resource ids (comma-separated) from every key group'
            cand --encryption-context 'KMS encryption context `key:value,...` for the --add-kms keys'
            cand --aws-profile 'AWS shared-config profile for the --add-kms keys'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --jobs 'How many files to work on at once'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -i 'Write the result back to FILE (atomically, keeping its mode)'
            cand --in-place 'Write the result back to FILE (atomically, keeping its mode)'
            cand --ignore-mac 'Do not check the file''s MAC before rotating'
            cand -r 'Walk the directories among the paths (symbolic links are not followed)'
            cand --recursive 'Walk the directories among the paths (symbolic links are not followed)'
            cand --all 'Every file of the git work tree under a creation rule (.gitignore respected)'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;updatekeys'= {
            cand --input-type 'Input format (default: from the file name)'
            cand --shamir-secret-sharing-threshold 'Use this Shamir threshold instead of the file''s (capped at the number of groups)'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --jobs 'How many files to work on at once'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -y 'Apply the changes without asking'
            cand --yes 'Apply the changes without asking'
            cand -r 'Walk the directories among the paths (symbolic links are not followed)'
            cand --recursive 'Walk the directories among the paths (symbolic links are not followed)'
            cand --all 'Every file of the git work tree under a creation rule (.gitignore respected)'
            cand --rotate 'Also make a new data key for the files whose keys change (re-encrypting their values, so removed keys cannot read the new versions)'
            cand --dry-run 'Print what would change, change nothing'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;groups'= {
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand add 'Add a key group to a file (stdout by default)'
            cand delete 'Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'secret;groups;add'= {
            cand -f 'The encrypted file'
            cand --file 'The encrypted file'
            cand --shamir-secret-sharing-threshold 'How many key groups are needed to recover the data key (default: unchanged)'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --age 'An age recipient of the new group (repeatable)'
            cand --pgp 'A PGP fingerprint of the new group (repeatable)'
            cand --kms 'An AWS KMS ARN of the new group (repeatable)'
            cand --azure-kv 'An Azure Key Vault key URL of the new group (repeatable)'
            cand --hckms 'A HuaweiCloud KMS key id `REGION:KEY-UUID` of the new group (repeatable)'
            cand --hc-vault-transit 'A Vault transit key URI of the new group (repeatable)'
            cand --gcp-kms 'A GCP Cloud KMS resource id of the new group (repeatable)'
            cand --aws-profile 'AWS shared-config profile for the --kms keys'
            cand --encryption-context 'KMS encryption context `key:value,...` for the --kms keys'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -i 'Write the result back to the file (atomically) instead of stdout'
            cand --in-place 'Write the result back to the file (atomically) instead of stdout'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;groups;delete'= {
            cand -f 'The encrypted file'
            cand --file 'The encrypted file'
            cand --shamir-secret-sharing-threshold 'How many key groups are needed to recover the data key (default: unchanged)'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -i 'Write the result back to the file (atomically) instead of stdout'
            cand --in-place 'Write the result back to the file (atomically) instead of stdout'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;groups;help'= {
            cand add 'Add a key group to a file (stdout by default)'
            cand delete 'Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'secret;groups;help;add'= {
        }
        &'secret;groups;help;delete'= {
        }
        &'secret;groups;help;help'= {
        }
        &'secret;filestatus'= {
            cand --input-type 'Input format (default: from the file name)'
            cand --jobs 'How many files to work on at once'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -r 'Walk the directories among the paths (symbolic links are not followed)'
            cand --recursive 'Walk the directories among the paths (symbolic links are not followed)'
            cand --all 'Every file of the git work tree under a creation rule (.gitignore respected)'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;edit'= {
            cand --input-type 'Input format (default: from the file name)'
            cand --output-type 'Output format (default: from the file name)'
            cand -a 'age recipients, comma-separated (replaces the creation rule''s keys)'
            cand --age 'age recipients, comma-separated (replaces the creation rule''s keys)'
            cand -p 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)'
            cand --pgp 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)'
            cand -k 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)'
            cand --kms 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)'
            cand --azure-kv 'Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated (replaces the creation rule''s keys)'
            cand --hckms 'HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation rule''s keys)'
            cand --hc-vault-transit 'HashiCorp Vault transit key URIs, comma-separated (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule''s keys)'
            cand --gcp-kms 'GCP Cloud KMS key resource ids, comma-separated (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule''s keys)'
            cand --encryption-context 'KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation rule''s `kms` keys'
            cand --aws-profile 'AWS shared-config profile for the --kms keys'
            cand --unencrypted-suffix 'Leave values plain when a key on their path ends with SUFFIX'
            cand --encrypted-suffix 'Encrypt only values where a key on their path ends with SUFFIX'
            cand --unencrypted-regex 'Leave values plain when a key on their path matches REGEX'
            cand --encrypted-regex 'Encrypt only values where a key on their path matches REGEX'
            cand --unencrypted-comment-regex 'Leave values plain below a comment matching REGEX'
            cand --encrypted-comment-regex 'Encrypt only values below a comment matching REGEX'
            cand --shamir-secret-sharing-threshold 'How many key groups are needed to recover the data key'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -s 'Show the sops metadata (master keys) in the editor too'
            cand --show-master-keys 'Show the sops metadata (master keys) in the editor too'
            cand --ignore-mac 'Do not check the file''s MAC'
            cand --mac-only-encrypted 'Authenticate only the encrypted values with the MAC'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;exec-env'= {
            cand -f 'Read the values from these encrypted files (repeat -f; a later file''s keys override an earlier one''s); every argument after the options is then the command'
            cand --file 'Read the values from these encrypted files (repeat -f; a later file''s keys override an earlier one''s); every argument after the options is then the command'
            cand --user 'Run the command as this user (needs the privileges to switch)'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --pristine 'Give the command only the decrypted values, not the current environment'
            cand --same-process 'Replace secret with the command (exec) instead of running it as a child'
            cand --flatten 'Export nested values too: `db: {user: x}` becomes DB_USER=x'
            cand --background 'Start the command and return at once (deprecated in sops)'
            cand --mask-output 'Replace the secret values (and their base64 and URL-encoded forms) with ***** in the command''s output'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;exec-file'= {
            cand --filename 'Name of the temporary file (default: tmp-file)'
            cand --input-type 'Input format (default: from the file name)'
            cand --output-type 'Format of the decrypted file (default: the input''s)'
            cand --user 'Run the command as this user (needs the privileges to switch)'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --no-fifo 'Use a regular 0600 file instead of a named pipe'
            cand --background 'Accepted for sops compatibility (deprecated there); the command is still waited for, since the decrypted file lives only as long as secret runs'
            cand --mask-output 'Replace the secret values (and their base64 and URL-encoded forms) with ***** in the command''s output'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;set'= {
            cand --input-type 'Input format (default: from the file name)'
            cand --output-type 'Output format (default: from the file name)'
            cand --shamir-secret-sharing-threshold 'Accepted for sops compatibility; the file''s key groups are kept as they are'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --value-file 'VALUE is a file to read the JSON value from (keeps it out of process listings)'
            cand --value-stdin 'Read the JSON value from standard input (VALUE is not given)'
            cand --idempotent 'Do not write when PATH already holds VALUE'
            cand --ignore-mac 'Do not check the file''s MAC'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;unset'= {
            cand --input-type 'Input format (default: from the file name)'
            cand --output-type 'Output format (default: from the file name)'
            cand --shamir-secret-sharing-threshold 'Accepted for sops compatibility; the file''s key groups are kept as they are'
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --idempotent 'Succeed without writing when PATH does not exist'
            cand --ignore-mac 'Do not check the file''s MAC'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;completion'= {
            cand --write-all 'Write every completion script to DIR/completions and every man page to DIR/man'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;init'= {
            cand --path-regex 'Regex of the paths (relative to the .sops.yaml) that hold secrets'
            cand --age 'Encrypt for this age recipient instead of a key of your own (repeatable; no key is created)'
            cand --kms 'Also encrypt for these AWS KMS key ARNs (repeatable, comma-separated)'
            cand --gcp-kms 'Also encrypt for these GCP Cloud KMS resource ids'
            cand --azure-kv 'Also encrypt for these Azure Key Vault key URLs'
            cand --hc-vault-transit 'Also encrypt for these HashiCorp Vault transit key URIs'
            cand --hckms 'Also encrypt for these HuaweiCloud KMS keys (REGION:KEY-UUID)'
            cand --pgp 'Also encrypt for these PGP fingerprints'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -y 'Ask nothing: take the flags and the defaults'
            cand --yes 'Ask nothing: take the flags and the defaults'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;keyservice'= {
            cand --network 'Network to listen on: tcp, tcp4, tcp6 or unix'
            cand --net 'Network to listen on: tcp, tcp4, tcp6 or unix'
            cand --address 'Address to listen on: HOST:PORT for tcp, the socket path for unix'
            cand --addr 'Address to listen on: HOST:PORT for tcp, the socket path for unix'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --prompt 'Ask on the terminal before answering each request'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;publish'= {
            cand --keyservice 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)'
            cand --enable-local-keyservice 'Use the local key service (the default; only `=false` or the variable turn it off)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -y 'Upload without asking'
            cand --yes 'Upload without asking'
            cand --omit-extensions 'Drop each file''s last extension from its name at the destination'
            cand --recursive 'Publish every file under the directory PATH (names keep their path below PATH)'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;explain'= {
            cand --input-type 'Input format (default: from the file name)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;check'= {
            cand --allow 'The allow-list (default: .secretallow in the repository''s top directory, or here)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand -r 'Check the files under the directories among the PATHs'
            cand --recursive 'Check the files under the directories among the PATHs'
            cand --all 'Check every file of the git work tree (.gitignore respected; files found clean before and unchanged since are not read again)'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;git-setup'= {
            cand --command 'How git should call secret (default: the absolute path of this binary)'
            cand --config 'Path to the .sops.yaml to use instead of searching up from the working directory'
            cand --decryption-order 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)'
            cand --indent 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings'
            cand --filter 'Transparent mode: plaintext in the work tree, encrypted in the index and history (a clean/smudge filter); patterns made from the creation rules'' path_regex'
            cand --uninstall 'Leave the filter mode in this clone: remove the filter from .git/config and check the files under it out encrypted'
            cand --verbose 'Say what is happening on stderr (never prints secrets)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'secret;help'= {
            cand encrypt 'Encrypt a file (stdout by default)'
            cand decrypt 'Decrypt a file (stdout by default)'
            cand rotate 'Generate a new data key and re-encrypt every value (stdout by default)'
            cand updatekeys 'Give files the master keys of their .sops.yaml creation rule (same data key)'
            cand groups 'Add or delete key groups (Shamir secret sharing)'
            cand filestatus 'Print {"encrypted":true} or {"encrypted":false} for a file'
            cand edit 'Edit an encrypted file in your editor (a missing file starts from an example)'
            cand exec-env 'Run a command with the decrypted values in its environment'
            cand exec-file 'Run a command with the decrypted file at the path that replaces {}'
            cand set 'Set one value of an encrypted file in place: set FILE PATH JSON-VALUE'
            cand unset 'Remove one value of an encrypted file in place: unset FILE PATH'
            cand completion 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
            cand init 'Create an age key and a .sops.yaml for this repository'
            cand keyservice 'Serve this machine''s keys to other secret and sops runs (sops'' gRPC key service)'
            cand publish 'Upload encrypted files where the .sops.yaml destination_rules say (S3, Vault KV)'
            cand explain 'Show which .sops.yaml, rule, recipients and selector apply to a file'
            cand check 'Fail when secrets are committed: unencrypted files under a rule, keys, tokens'
            cand git-setup 'Set up git diff and merge drivers for encrypted files (--filter: plaintext work tree)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'secret;help;encrypt'= {
        }
        &'secret;help;decrypt'= {
        }
        &'secret;help;rotate'= {
        }
        &'secret;help;updatekeys'= {
        }
        &'secret;help;groups'= {
            cand add 'Add a key group to a file (stdout by default)'
            cand delete 'Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)'
        }
        &'secret;help;groups;add'= {
        }
        &'secret;help;groups;delete'= {
        }
        &'secret;help;filestatus'= {
        }
        &'secret;help;edit'= {
        }
        &'secret;help;exec-env'= {
        }
        &'secret;help;exec-file'= {
        }
        &'secret;help;set'= {
        }
        &'secret;help;unset'= {
        }
        &'secret;help;completion'= {
        }
        &'secret;help;init'= {
        }
        &'secret;help;keyservice'= {
        }
        &'secret;help;publish'= {
        }
        &'secret;help;explain'= {
        }
        &'secret;help;check'= {
        }
        &'secret;help;git-setup'= {
        }
        &'secret;help;help'= {
        }
    ]
    $completions[$command]
}
