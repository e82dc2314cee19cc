
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'secret' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'secret'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'secret' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Legacy form: set ''<path> <json>'' in FILE (as `set`)')
            [CompletionResult]::new('--disable-version-check', '--disable-version-check', [CompletionResultType]::ParameterName, 'Accepted for sops compatibility (secret never checks for updates online)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to PATH instead of stdout')
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--output-type', '--output-type', [CompletionResultType]::ParameterName, 'Output format (default: from the file name)')
            [CompletionResult]::new('--filename-override', '--filename-override', [CompletionResultType]::ParameterName, 'Use this name instead of FILE for picking formats and the creation rule')
            [CompletionResult]::new('--extract', '--extract', [CompletionResultType]::ParameterName, 'Legacy decrypt: print only this part of the tree, e.g. ''["db"]["password"]''')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'age recipients, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--age', '--age', [CompletionResultType]::ParameterName, 'age recipients, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--pgp', '--pgp', [CompletionResultType]::ParameterName, 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)')
            [CompletionResult]::new('--kms', '--kms', [CompletionResultType]::ParameterName, 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)')
            [CompletionResult]::new('--azure-kv', '--azure-kv', [CompletionResultType]::ParameterName, 'Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--hckms', '--hckms', [CompletionResultType]::ParameterName, 'HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--hc-vault-transit', '--hc-vault-transit', [CompletionResultType]::ParameterName, 'HashiCorp Vault transit key URIs, comma-separated (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule''s keys)')
            [CompletionResult]::new('--gcp-kms', '--gcp-kms', [CompletionResultType]::ParameterName, 'GCP Cloud KMS key resource ids, comma-separated (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule''s keys)')
            [CompletionResult]::new('--encryption-context', '--encryption-context', [CompletionResultType]::ParameterName, 'KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation rule''s `kms` keys')
            [CompletionResult]::new('--aws-profile', '--aws-profile', [CompletionResultType]::ParameterName, 'AWS shared-config profile for the --kms keys')
            [CompletionResult]::new('--unencrypted-suffix', '--unencrypted-suffix', [CompletionResultType]::ParameterName, 'Leave values plain when a key on their path ends with SUFFIX')
            [CompletionResult]::new('--encrypted-suffix', '--encrypted-suffix', [CompletionResultType]::ParameterName, 'Encrypt only values where a key on their path ends with SUFFIX')
            [CompletionResult]::new('--unencrypted-regex', '--unencrypted-regex', [CompletionResultType]::ParameterName, 'Leave values plain when a key on their path matches REGEX')
            [CompletionResult]::new('--encrypted-regex', '--encrypted-regex', [CompletionResultType]::ParameterName, 'Encrypt only values where a key on their path matches REGEX')
            [CompletionResult]::new('--unencrypted-comment-regex', '--unencrypted-comment-regex', [CompletionResultType]::ParameterName, 'Leave values plain below a comment matching REGEX')
            [CompletionResult]::new('--encrypted-comment-regex', '--encrypted-comment-regex', [CompletionResultType]::ParameterName, 'Encrypt only values below a comment matching REGEX')
            [CompletionResult]::new('--shamir-secret-sharing-threshold', '--shamir-secret-sharing-threshold', [CompletionResultType]::ParameterName, 'How many key groups are needed to recover the data key')
            [CompletionResult]::new('--add-age', '--add-age', [CompletionResultType]::ParameterName, 'Add these age recipients (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-age', '--rm-age', [CompletionResultType]::ParameterName, 'Remove these age recipients (comma-separated) from every key group')
            [CompletionResult]::new('--add-pgp', '--add-pgp', [CompletionResultType]::ParameterName, 'Add these PGP fingerprints (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-pgp', '--rm-pgp', [CompletionResultType]::ParameterName, 'Remove these PGP fingerprints (comma-separated) from every key group')
            [CompletionResult]::new('--add-kms', '--add-kms', [CompletionResultType]::ParameterName, 'Add these AWS KMS ARNs (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-kms', '--rm-kms', [CompletionResultType]::ParameterName, 'Remove these AWS KMS ARNs (comma-separated) from every key group')
            [CompletionResult]::new('--add-azure-kv', '--add-azure-kv', [CompletionResultType]::ParameterName, 'Add these Azure Key Vault key URLs (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-azure-kv', '--rm-azure-kv', [CompletionResultType]::ParameterName, 'Remove these Azure Key Vault key URLs (comma-separated) from every key group')
            [CompletionResult]::new('--add-hckms', '--add-hckms', [CompletionResultType]::ParameterName, 'Add these HuaweiCloud KMS key ids (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-hckms', '--rm-hckms', [CompletionResultType]::ParameterName, 'Remove these HuaweiCloud KMS key ids (comma-separated) from every key group')
            [CompletionResult]::new('--add-hc-vault-transit', '--add-hc-vault-transit', [CompletionResultType]::ParameterName, 'Add these Vault transit key URIs (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-hc-vault-transit', '--rm-hc-vault-transit', [CompletionResultType]::ParameterName, 'Remove these Vault transit key URIs (comma-separated) from every key group')
            [CompletionResult]::new('--add-gcp-kms', '--add-gcp-kms', [CompletionResultType]::ParameterName, 'Add these GCP Cloud KMS resource ids (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-gcp-kms', '--rm-gcp-kms', [CompletionResultType]::ParameterName, 'Remove these GCP Cloud KMS resource ids (comma-separated) from every key group')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Legacy form: decrypt FILE (as `decrypt`)')
            [CompletionResult]::new('--decrypt', '--decrypt', [CompletionResultType]::ParameterName, 'Legacy form: decrypt FILE (as `decrypt`)')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Legacy form: encrypt FILE (as `encrypt`)')
            [CompletionResult]::new('--encrypt', '--encrypt', [CompletionResultType]::ParameterName, 'Legacy form: encrypt FILE (as `encrypt`)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Legacy form: new data key for FILE (as `rotate`)')
            [CompletionResult]::new('--rotate', '--rotate', [CompletionResultType]::ParameterName, 'Legacy form: new data key for FILE (as `rotate`)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print the version and exit')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print the version and exit')
            [CompletionResult]::new('--check-for-updates', '--check-for-updates', [CompletionResultType]::ParameterName, 'With --version: say that secret does not check for updates (it works offline)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Write the result back to FILE (atomically, keeping its mode)')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Write the result back to FILE (atomically, keeping its mode)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Legacy edit: show the sops metadata (master keys) in the editor too')
            [CompletionResult]::new('--show-master-keys', '--show-master-keys', [CompletionResultType]::ParameterName, 'Legacy edit: show the sops metadata (master keys) in the editor too')
            [CompletionResult]::new('--ignore-mac', '--ignore-mac', [CompletionResultType]::ParameterName, 'Do not check the file''s MAC')
            [CompletionResult]::new('--mac-only-encrypted', '--mac-only-encrypted', [CompletionResultType]::ParameterName, 'Authenticate only the encrypted values with the MAC')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('encrypt', 'encrypt', [CompletionResultType]::ParameterValue, 'Encrypt a file (stdout by default)')
            [CompletionResult]::new('decrypt', 'decrypt', [CompletionResultType]::ParameterValue, 'Decrypt a file (stdout by default)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Generate a new data key and re-encrypt every value (stdout by default)')
            [CompletionResult]::new('updatekeys', 'updatekeys', [CompletionResultType]::ParameterValue, 'Give files the master keys of their .sops.yaml creation rule (same data key)')
            [CompletionResult]::new('groups', 'groups', [CompletionResultType]::ParameterValue, 'Add or delete key groups (Shamir secret sharing)')
            [CompletionResult]::new('filestatus', 'filestatus', [CompletionResultType]::ParameterValue, 'Print {"encrypted":true} or {"encrypted":false} for a file')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Edit an encrypted file in your editor (a missing file starts from an example)')
            [CompletionResult]::new('exec-env', 'exec-env', [CompletionResultType]::ParameterValue, 'Run a command with the decrypted values in its environment')
            [CompletionResult]::new('exec-file', 'exec-file', [CompletionResultType]::ParameterValue, 'Run a command with the decrypted file at the path that replaces {}')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set one value of an encrypted file in place: set FILE PATH JSON-VALUE')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove one value of an encrypted file in place: unset FILE PATH')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create an age key and a .sops.yaml for this repository')
            [CompletionResult]::new('keyservice', 'keyservice', [CompletionResultType]::ParameterValue, 'Serve this machine''s keys to other secret and sops runs (sops'' gRPC key service)')
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Upload encrypted files where the .sops.yaml destination_rules say (S3, Vault KV)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Show which .sops.yaml, rule, recipients and selector apply to a file')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Fail when secrets are committed: unencrypted files under a rule, keys, tokens')
            [CompletionResult]::new('git-setup', 'git-setup', [CompletionResultType]::ParameterValue, 'Set up git diff and merge drivers for encrypted files (--filter: plaintext work tree)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'secret;encrypt' {
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to PATH instead of stdout')
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--output-type', '--output-type', [CompletionResultType]::ParameterName, 'Output format (default: from the file name)')
            [CompletionResult]::new('--filename-override', '--filename-override', [CompletionResultType]::ParameterName, 'Use this name instead of FILE for picking formats and the creation rule')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many files to work on at once')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'age recipients, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--age', '--age', [CompletionResultType]::ParameterName, 'age recipients, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--pgp', '--pgp', [CompletionResultType]::ParameterName, 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)')
            [CompletionResult]::new('--kms', '--kms', [CompletionResultType]::ParameterName, 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)')
            [CompletionResult]::new('--azure-kv', '--azure-kv', [CompletionResultType]::ParameterName, 'Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--hckms', '--hckms', [CompletionResultType]::ParameterName, 'HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--hc-vault-transit', '--hc-vault-transit', [CompletionResultType]::ParameterName, 'HashiCorp Vault transit key URIs, comma-separated (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule''s keys)')
            [CompletionResult]::new('--gcp-kms', '--gcp-kms', [CompletionResultType]::ParameterName, 'GCP Cloud KMS key resource ids, comma-separated (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule''s keys)')
            [CompletionResult]::new('--encryption-context', '--encryption-context', [CompletionResultType]::ParameterName, 'KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation rule''s `kms` keys')
            [CompletionResult]::new('--aws-profile', '--aws-profile', [CompletionResultType]::ParameterName, 'AWS shared-config profile for the --kms keys')
            [CompletionResult]::new('--unencrypted-suffix', '--unencrypted-suffix', [CompletionResultType]::ParameterName, 'Leave values plain when a key on their path ends with SUFFIX')
            [CompletionResult]::new('--encrypted-suffix', '--encrypted-suffix', [CompletionResultType]::ParameterName, 'Encrypt only values where a key on their path ends with SUFFIX')
            [CompletionResult]::new('--unencrypted-regex', '--unencrypted-regex', [CompletionResultType]::ParameterName, 'Leave values plain when a key on their path matches REGEX')
            [CompletionResult]::new('--encrypted-regex', '--encrypted-regex', [CompletionResultType]::ParameterName, 'Encrypt only values where a key on their path matches REGEX')
            [CompletionResult]::new('--unencrypted-comment-regex', '--unencrypted-comment-regex', [CompletionResultType]::ParameterName, 'Leave values plain below a comment matching REGEX')
            [CompletionResult]::new('--encrypted-comment-regex', '--encrypted-comment-regex', [CompletionResultType]::ParameterName, 'Encrypt only values below a comment matching REGEX')
            [CompletionResult]::new('--shamir-secret-sharing-threshold', '--shamir-secret-sharing-threshold', [CompletionResultType]::ParameterName, 'How many key groups are needed to recover the data key')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Encrypt into this existing encrypted file: its data key, master keys and selector are kept, and so is the ciphertext of every value that did not change; the result replaces it (or goes to --output; `--output -`: stdout)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Write the result back to FILE (atomically, keeping its mode)')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Write the result back to FILE (atomically, keeping its mode)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every file of the git work tree under a creation rule (.gitignore respected)')
            [CompletionResult]::new('--mac-only-encrypted', '--mac-only-encrypted', [CompletionResultType]::ParameterName, 'Authenticate only the encrypted values with the MAC')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;decrypt' {
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to PATH instead of stdout')
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--output-type', '--output-type', [CompletionResultType]::ParameterName, 'Output format (default: from the file name)')
            [CompletionResult]::new('--filename-override', '--filename-override', [CompletionResultType]::ParameterName, 'Use this name instead of FILE for picking formats and the creation rule')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many files to work on at once')
            [CompletionResult]::new('--extract', '--extract', [CompletionResultType]::ParameterName, 'Print only this part of the tree, e.g. ''["db"]["password"]'' or ''["list"][0]''')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Write the result back to FILE (atomically, keeping its mode)')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Write the result back to FILE (atomically, keeping its mode)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every file of the git work tree under a creation rule (.gitignore respected)')
            [CompletionResult]::new('--ignore-mac', '--ignore-mac', [CompletionResultType]::ParameterName, 'Do not check the file''s MAC')
            [CompletionResult]::new('--mask', '--mask', [CompletionResultType]::ParameterName, 'Replace every decrypted value with ***** (layout and comments kept; for logs)')
            [CompletionResult]::new('--merge', '--merge', [CompletionResultType]::ParameterName, 'Decrypt FILE and MORE files into one document: a later file''s keys override an earlier one''s (maps are merged key by key); written as FILE''s format')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;rotate' {
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to PATH instead of stdout')
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--output-type', '--output-type', [CompletionResultType]::ParameterName, 'Output format (default: from the file name)')
            [CompletionResult]::new('--filename-override', '--filename-override', [CompletionResultType]::ParameterName, 'Use this name instead of FILE for picking formats and the creation rule')
            [CompletionResult]::new('--add-age', '--add-age', [CompletionResultType]::ParameterName, 'Add these age recipients (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-age', '--rm-age', [CompletionResultType]::ParameterName, 'Remove these age recipients (comma-separated) from every key group')
            [CompletionResult]::new('--add-pgp', '--add-pgp', [CompletionResultType]::ParameterName, 'Add these PGP fingerprints (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-pgp', '--rm-pgp', [CompletionResultType]::ParameterName, 'Remove these PGP fingerprints (comma-separated) from every key group')
            [CompletionResult]::new('--add-kms', '--add-kms', [CompletionResultType]::ParameterName, 'Add these AWS KMS ARNs (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-kms', '--rm-kms', [CompletionResultType]::ParameterName, 'Remove these AWS KMS ARNs (comma-separated) from every key group')
            [CompletionResult]::new('--add-azure-kv', '--add-azure-kv', [CompletionResultType]::ParameterName, 'Add these Azure Key Vault key URLs (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-azure-kv', '--rm-azure-kv', [CompletionResultType]::ParameterName, 'Remove these Azure Key Vault key URLs (comma-separated) from every key group')
            [CompletionResult]::new('--add-hckms', '--add-hckms', [CompletionResultType]::ParameterName, 'Add these HuaweiCloud KMS key ids (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-hckms', '--rm-hckms', [CompletionResultType]::ParameterName, 'Remove these HuaweiCloud KMS key ids (comma-separated) from every key group')
            [CompletionResult]::new('--add-hc-vault-transit', '--add-hc-vault-transit', [CompletionResultType]::ParameterName, 'Add these Vault transit key URIs (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-hc-vault-transit', '--rm-hc-vault-transit', [CompletionResultType]::ParameterName, 'Remove these Vault transit key URIs (comma-separated) from every key group')
            [CompletionResult]::new('--add-gcp-kms', '--add-gcp-kms', [CompletionResultType]::ParameterName, 'Add these GCP Cloud KMS resource ids (comma-separated) to the first key group')
            [CompletionResult]::new('--rm-gcp-kms', '--rm-gcp-kms', [CompletionResultType]::ParameterName, 'Remove these GCP Cloud KMS resource ids (comma-separated) from every key group')
            [CompletionResult]::new('--encryption-context', '--encryption-context', [CompletionResultType]::ParameterName, 'KMS encryption context `key:value,...` for the --add-kms keys')
            [CompletionResult]::new('--aws-profile', '--aws-profile', [CompletionResultType]::ParameterName, 'AWS shared-config profile for the --add-kms keys')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many files to work on at once')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Write the result back to FILE (atomically, keeping its mode)')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Write the result back to FILE (atomically, keeping its mode)')
            [CompletionResult]::new('--ignore-mac', '--ignore-mac', [CompletionResultType]::ParameterName, 'Do not check the file''s MAC before rotating')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every file of the git work tree under a creation rule (.gitignore respected)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;updatekeys' {
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--shamir-secret-sharing-threshold', '--shamir-secret-sharing-threshold', [CompletionResultType]::ParameterName, 'Use this Shamir threshold instead of the file''s (capped at the number of groups)')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many files to work on at once')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Apply the changes without asking')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Apply the changes without asking')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every file of the git work tree under a creation rule (.gitignore respected)')
            [CompletionResult]::new('--rotate', '--rotate', [CompletionResultType]::ParameterName, 'Also make a new data key for the files whose keys change (re-encrypting their values, so removed keys cannot read the new versions)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would change, change nothing')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;groups' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a key group to a file (stdout by default)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'secret;groups;add' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The encrypted file')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The encrypted file')
            [CompletionResult]::new('--shamir-secret-sharing-threshold', '--shamir-secret-sharing-threshold', [CompletionResultType]::ParameterName, 'How many key groups are needed to recover the data key (default: unchanged)')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--age', '--age', [CompletionResultType]::ParameterName, 'An age recipient of the new group (repeatable)')
            [CompletionResult]::new('--pgp', '--pgp', [CompletionResultType]::ParameterName, 'A PGP fingerprint of the new group (repeatable)')
            [CompletionResult]::new('--kms', '--kms', [CompletionResultType]::ParameterName, 'An AWS KMS ARN of the new group (repeatable)')
            [CompletionResult]::new('--azure-kv', '--azure-kv', [CompletionResultType]::ParameterName, 'An Azure Key Vault key URL of the new group (repeatable)')
            [CompletionResult]::new('--hckms', '--hckms', [CompletionResultType]::ParameterName, 'A HuaweiCloud KMS key id `REGION:KEY-UUID` of the new group (repeatable)')
            [CompletionResult]::new('--hc-vault-transit', '--hc-vault-transit', [CompletionResultType]::ParameterName, 'A Vault transit key URI of the new group (repeatable)')
            [CompletionResult]::new('--gcp-kms', '--gcp-kms', [CompletionResultType]::ParameterName, 'A GCP Cloud KMS resource id of the new group (repeatable)')
            [CompletionResult]::new('--aws-profile', '--aws-profile', [CompletionResultType]::ParameterName, 'AWS shared-config profile for the --kms keys')
            [CompletionResult]::new('--encryption-context', '--encryption-context', [CompletionResultType]::ParameterName, 'KMS encryption context `key:value,...` for the --kms keys')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Write the result back to the file (atomically) instead of stdout')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Write the result back to the file (atomically) instead of stdout')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;groups;delete' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The encrypted file')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The encrypted file')
            [CompletionResult]::new('--shamir-secret-sharing-threshold', '--shamir-secret-sharing-threshold', [CompletionResultType]::ParameterName, 'How many key groups are needed to recover the data key (default: unchanged)')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Write the result back to the file (atomically) instead of stdout')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Write the result back to the file (atomically) instead of stdout')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;groups;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a key group to a file (stdout by default)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'secret;groups;help;add' {
            break
        }
        'secret;groups;help;delete' {
            break
        }
        'secret;groups;help;help' {
            break
        }
        'secret;filestatus' {
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many files to work on at once')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Walk the directories among the paths (symbolic links are not followed)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every file of the git work tree under a creation rule (.gitignore respected)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;edit' {
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--output-type', '--output-type', [CompletionResultType]::ParameterName, 'Output format (default: from the file name)')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'age recipients, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--age', '--age', [CompletionResultType]::ParameterName, 'age recipients, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--pgp', '--pgp', [CompletionResultType]::ParameterName, 'PGP fingerprints, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)')
            [CompletionResult]::new('--kms', '--kms', [CompletionResultType]::ParameterName, 'AWS KMS key ARNs, comma-separated; `ARN+ROLE_ARN` assumes that role first (replaces the creation rule''s keys)')
            [CompletionResult]::new('--azure-kv', '--azure-kv', [CompletionResultType]::ParameterName, 'Azure Key Vault key URLs `https://VAULT/keys/NAME[/VERSION]`, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--hckms', '--hckms', [CompletionResultType]::ParameterName, 'HuaweiCloud KMS key ids `REGION:KEY-UUID`, comma-separated (replaces the creation rule''s keys)')
            [CompletionResult]::new('--hc-vault-transit', '--hc-vault-transit', [CompletionResultType]::ParameterName, 'HashiCorp Vault transit key URIs, comma-separated (`https://vault:8200/v1/ENGINE/keys/NAME`; replaces the creation rule''s keys)')
            [CompletionResult]::new('--gcp-kms', '--gcp-kms', [CompletionResultType]::ParameterName, 'GCP Cloud KMS key resource ids, comma-separated (`projects/P/locations/L/keyRings/R/cryptoKeys/K`; replaces the creation rule''s keys)')
            [CompletionResult]::new('--encryption-context', '--encryption-context', [CompletionResultType]::ParameterName, 'KMS encryption context `key:value,key2:value2`, for the --kms keys or the creation rule''s `kms` keys')
            [CompletionResult]::new('--aws-profile', '--aws-profile', [CompletionResultType]::ParameterName, 'AWS shared-config profile for the --kms keys')
            [CompletionResult]::new('--unencrypted-suffix', '--unencrypted-suffix', [CompletionResultType]::ParameterName, 'Leave values plain when a key on their path ends with SUFFIX')
            [CompletionResult]::new('--encrypted-suffix', '--encrypted-suffix', [CompletionResultType]::ParameterName, 'Encrypt only values where a key on their path ends with SUFFIX')
            [CompletionResult]::new('--unencrypted-regex', '--unencrypted-regex', [CompletionResultType]::ParameterName, 'Leave values plain when a key on their path matches REGEX')
            [CompletionResult]::new('--encrypted-regex', '--encrypted-regex', [CompletionResultType]::ParameterName, 'Encrypt only values where a key on their path matches REGEX')
            [CompletionResult]::new('--unencrypted-comment-regex', '--unencrypted-comment-regex', [CompletionResultType]::ParameterName, 'Leave values plain below a comment matching REGEX')
            [CompletionResult]::new('--encrypted-comment-regex', '--encrypted-comment-regex', [CompletionResultType]::ParameterName, 'Encrypt only values below a comment matching REGEX')
            [CompletionResult]::new('--shamir-secret-sharing-threshold', '--shamir-secret-sharing-threshold', [CompletionResultType]::ParameterName, 'How many key groups are needed to recover the data key')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Show the sops metadata (master keys) in the editor too')
            [CompletionResult]::new('--show-master-keys', '--show-master-keys', [CompletionResultType]::ParameterName, 'Show the sops metadata (master keys) in the editor too')
            [CompletionResult]::new('--ignore-mac', '--ignore-mac', [CompletionResultType]::ParameterName, 'Do not check the file''s MAC')
            [CompletionResult]::new('--mac-only-encrypted', '--mac-only-encrypted', [CompletionResultType]::ParameterName, 'Authenticate only the encrypted values with the MAC')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;exec-env' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Read the values from these encrypted files (repeat -f; a later file''s keys override an earlier one''s); every argument after the options is then the command')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Read the values from these encrypted files (repeat -f; a later file''s keys override an earlier one''s); every argument after the options is then the command')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Run the command as this user (needs the privileges to switch)')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--pristine', '--pristine', [CompletionResultType]::ParameterName, 'Give the command only the decrypted values, not the current environment')
            [CompletionResult]::new('--same-process', '--same-process', [CompletionResultType]::ParameterName, 'Replace secret with the command (exec) instead of running it as a child')
            [CompletionResult]::new('--flatten', '--flatten', [CompletionResultType]::ParameterName, 'Export nested values too: `db: {user: x}` becomes DB_USER=x')
            [CompletionResult]::new('--background', '--background', [CompletionResultType]::ParameterName, 'Start the command and return at once (deprecated in sops)')
            [CompletionResult]::new('--mask-output', '--mask-output', [CompletionResultType]::ParameterName, 'Replace the secret values (and their base64 and URL-encoded forms) with ***** in the command''s output')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;exec-file' {
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Name of the temporary file (default: tmp-file)')
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--output-type', '--output-type', [CompletionResultType]::ParameterName, 'Format of the decrypted file (default: the input''s)')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'Run the command as this user (needs the privileges to switch)')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--no-fifo', '--no-fifo', [CompletionResultType]::ParameterName, 'Use a regular 0600 file instead of a named pipe')
            [CompletionResult]::new('--background', '--background', [CompletionResultType]::ParameterName, 'Accepted for sops compatibility (deprecated there); the command is still waited for, since the decrypted file lives only as long as secret runs')
            [CompletionResult]::new('--mask-output', '--mask-output', [CompletionResultType]::ParameterName, 'Replace the secret values (and their base64 and URL-encoded forms) with ***** in the command''s output')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;set' {
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--output-type', '--output-type', [CompletionResultType]::ParameterName, 'Output format (default: from the file name)')
            [CompletionResult]::new('--shamir-secret-sharing-threshold', '--shamir-secret-sharing-threshold', [CompletionResultType]::ParameterName, 'Accepted for sops compatibility; the file''s key groups are kept as they are')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--value-file', '--value-file', [CompletionResultType]::ParameterName, 'VALUE is a file to read the JSON value from (keeps it out of process listings)')
            [CompletionResult]::new('--value-stdin', '--value-stdin', [CompletionResultType]::ParameterName, 'Read the JSON value from standard input (VALUE is not given)')
            [CompletionResult]::new('--idempotent', '--idempotent', [CompletionResultType]::ParameterName, 'Do not write when PATH already holds VALUE')
            [CompletionResult]::new('--ignore-mac', '--ignore-mac', [CompletionResultType]::ParameterName, 'Do not check the file''s MAC')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;unset' {
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--output-type', '--output-type', [CompletionResultType]::ParameterName, 'Output format (default: from the file name)')
            [CompletionResult]::new('--shamir-secret-sharing-threshold', '--shamir-secret-sharing-threshold', [CompletionResultType]::ParameterName, 'Accepted for sops compatibility; the file''s key groups are kept as they are')
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--idempotent', '--idempotent', [CompletionResultType]::ParameterName, 'Succeed without writing when PATH does not exist')
            [CompletionResult]::new('--ignore-mac', '--ignore-mac', [CompletionResultType]::ParameterName, 'Do not check the file''s MAC')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;completion' {
            [CompletionResult]::new('--write-all', '--write-all', [CompletionResultType]::ParameterName, 'Write every completion script to DIR/completions and every man page to DIR/man')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;init' {
            [CompletionResult]::new('--path-regex', '--path-regex', [CompletionResultType]::ParameterName, 'Regex of the paths (relative to the .sops.yaml) that hold secrets')
            [CompletionResult]::new('--age', '--age', [CompletionResultType]::ParameterName, 'Encrypt for this age recipient instead of a key of your own (repeatable; no key is created)')
            [CompletionResult]::new('--kms', '--kms', [CompletionResultType]::ParameterName, 'Also encrypt for these AWS KMS key ARNs (repeatable, comma-separated)')
            [CompletionResult]::new('--gcp-kms', '--gcp-kms', [CompletionResultType]::ParameterName, 'Also encrypt for these GCP Cloud KMS resource ids')
            [CompletionResult]::new('--azure-kv', '--azure-kv', [CompletionResultType]::ParameterName, 'Also encrypt for these Azure Key Vault key URLs')
            [CompletionResult]::new('--hc-vault-transit', '--hc-vault-transit', [CompletionResultType]::ParameterName, 'Also encrypt for these HashiCorp Vault transit key URIs')
            [CompletionResult]::new('--hckms', '--hckms', [CompletionResultType]::ParameterName, 'Also encrypt for these HuaweiCloud KMS keys (REGION:KEY-UUID)')
            [CompletionResult]::new('--pgp', '--pgp', [CompletionResultType]::ParameterName, 'Also encrypt for these PGP fingerprints')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Ask nothing: take the flags and the defaults')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Ask nothing: take the flags and the defaults')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;keyservice' {
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Network to listen on: tcp, tcp4, tcp6 or unix')
            [CompletionResult]::new('--net', '--net', [CompletionResultType]::ParameterName, 'Network to listen on: tcp, tcp4, tcp6 or unix')
            [CompletionResult]::new('--address', '--address', [CompletionResultType]::ParameterName, 'Address to listen on: HOST:PORT for tcp, the socket path for unix')
            [CompletionResult]::new('--addr', '--addr', [CompletionResultType]::ParameterName, 'Address to listen on: HOST:PORT for tcp, the socket path for unix')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'Ask on the terminal before answering each request')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;publish' {
            [CompletionResult]::new('--keyservice', '--keyservice', [CompletionResultType]::ParameterName, 'A key service to use in addition to the local one, e.g. tcp://host:5000 or unix:///path/sock (repeatable; the variable takes a comma-separated list)')
            [CompletionResult]::new('--enable-local-keyservice', '--enable-local-keyservice', [CompletionResultType]::ParameterName, 'Use the local key service (the default; only `=false` or the variable turn it off)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Upload without asking')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Upload without asking')
            [CompletionResult]::new('--omit-extensions', '--omit-extensions', [CompletionResultType]::ParameterName, 'Drop each file''s last extension from its name at the destination')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Publish every file under the directory PATH (names keep their path below PATH)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;explain' {
            [CompletionResult]::new('--input-type', '--input-type', [CompletionResultType]::ParameterName, 'Input format (default: from the file name)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;check' {
            [CompletionResult]::new('--allow', '--allow', [CompletionResultType]::ParameterName, 'The allow-list (default: .secretallow in the repository''s top directory, or here)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Check the files under the directories among the PATHs')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Check the files under the directories among the PATHs')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Check every file of the git work tree (.gitignore respected; files found clean before and unchanged since are not read again)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;git-setup' {
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'How git should call secret (default: the absolute path of this binary)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Path to the .sops.yaml to use instead of searching up from the working directory')
            [CompletionResult]::new('--decryption-order', '--decryption-order', [CompletionResultType]::ParameterName, 'Comma-separated key types to try first when decrypting (e.g. age,pgp,kms)')
            [CompletionResult]::new('--indent', '--indent', [CompletionResultType]::ParameterName, 'Indentation of YAML and JSON output (YAML: 0 = 4 spaces; JSON: -1 = tab), overriding .sops.yaml''s stores settings')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Transparent mode: plaintext in the work tree, encrypted in the index and history (a clean/smudge filter); patterns made from the creation rules'' path_regex')
            [CompletionResult]::new('--uninstall', '--uninstall', [CompletionResultType]::ParameterName, 'Leave the filter mode in this clone: remove the filter from .git/config and check the files under it out encrypted')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what is happening on stderr (never prints secrets)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'secret;help' {
            [CompletionResult]::new('encrypt', 'encrypt', [CompletionResultType]::ParameterValue, 'Encrypt a file (stdout by default)')
            [CompletionResult]::new('decrypt', 'decrypt', [CompletionResultType]::ParameterValue, 'Decrypt a file (stdout by default)')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Generate a new data key and re-encrypt every value (stdout by default)')
            [CompletionResult]::new('updatekeys', 'updatekeys', [CompletionResultType]::ParameterValue, 'Give files the master keys of their .sops.yaml creation rule (same data key)')
            [CompletionResult]::new('groups', 'groups', [CompletionResultType]::ParameterValue, 'Add or delete key groups (Shamir secret sharing)')
            [CompletionResult]::new('filestatus', 'filestatus', [CompletionResultType]::ParameterValue, 'Print {"encrypted":true} or {"encrypted":false} for a file')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Edit an encrypted file in your editor (a missing file starts from an example)')
            [CompletionResult]::new('exec-env', 'exec-env', [CompletionResultType]::ParameterValue, 'Run a command with the decrypted values in its environment')
            [CompletionResult]::new('exec-file', 'exec-file', [CompletionResultType]::ParameterValue, 'Run a command with the decrypted file at the path that replaces {}')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set one value of an encrypted file in place: set FILE PATH JSON-VALUE')
            [CompletionResult]::new('unset', 'unset', [CompletionResultType]::ParameterValue, 'Remove one value of an encrypted file in place: unset FILE PATH')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, elvish, powershell)')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create an age key and a .sops.yaml for this repository')
            [CompletionResult]::new('keyservice', 'keyservice', [CompletionResultType]::ParameterValue, 'Serve this machine''s keys to other secret and sops runs (sops'' gRPC key service)')
            [CompletionResult]::new('publish', 'publish', [CompletionResultType]::ParameterValue, 'Upload encrypted files where the .sops.yaml destination_rules say (S3, Vault KV)')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Show which .sops.yaml, rule, recipients and selector apply to a file')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Fail when secrets are committed: unencrypted files under a rule, keys, tokens')
            [CompletionResult]::new('git-setup', 'git-setup', [CompletionResultType]::ParameterValue, 'Set up git diff and merge drivers for encrypted files (--filter: plaintext work tree)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'secret;help;encrypt' {
            break
        }
        'secret;help;decrypt' {
            break
        }
        'secret;help;rotate' {
            break
        }
        'secret;help;updatekeys' {
            break
        }
        'secret;help;groups' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a key group to a file (stdout by default)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete the key group at INDEX (0-based, as sops) from a file (stdout by default)')
            break
        }
        'secret;help;groups;add' {
            break
        }
        'secret;help;groups;delete' {
            break
        }
        'secret;help;filestatus' {
            break
        }
        'secret;help;edit' {
            break
        }
        'secret;help;exec-env' {
            break
        }
        'secret;help;exec-file' {
            break
        }
        'secret;help;set' {
            break
        }
        'secret;help;unset' {
            break
        }
        'secret;help;completion' {
            break
        }
        'secret;help;init' {
            break
        }
        'secret;help;keyservice' {
            break
        }
        'secret;help;publish' {
            break
        }
        'secret;help;explain' {
            break
        }
        'secret;help;check' {
            break
        }
        'secret;help;git-setup' {
            break
        }
        'secret;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
